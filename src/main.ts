import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config.js';
import { createApp } from './app.factory.js';
import { createRegistryApp } from './registry/registry.app.js';

const started = Date.now();
try {
  const config = loadConfig();
  const role = config.registry.role;
  const app = role === 'registry' ? await createRegistryApp(config) : await createApp(config);
  await app.listen(config.port, config.host);
  const database = config.database.url ? 'PostgreSQL' : `embedded database in ${config.database.embeddedDir}`;
  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  const ready = `ready in ${Date.now() - started} ms, RSS ${rssMb} MB`;
  if (role === 'registry') {
    console.log(
      `Glint registry on ${config.registry.address} (${database}), ` +
        `health on http://${config.host}:${config.port}; ${ready}`,
    );
  } else {
    // Say where the data is: an api process's tasks run in the registry, not here.
    const mode =
      role === 'api'
        ? `no database: registry at ${config.registry.address}, which also runs the tasks`
        : database;
    console.log(
      `Glint listening on http://${config.host}:${config.port} (auth ${config.auth}, ${mode}); ${ready}`,
    );
  }
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`glint: configuration error: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
