import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config.js';
import { createApp } from './app.factory.js';

const started = Date.now();
try {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const mode = config.database.url ? 'PostgreSQL' : `embedded database in ${config.database.embeddedDir}`;
  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  console.log(
    `Glint listening on http://${config.host}:${config.port} (auth ${config.auth}, ${mode}); ` +
      `ready in ${Date.now() - started} ms, RSS ${rssMb} MB`,
  );
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`glint: configuration error: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
