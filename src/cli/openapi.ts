import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../config/app-config.js';
import { buildOpenApiDocument, createApp } from '../app.factory.js';

/** Writes the OpenAPI document without opening a database: the app is built in preview mode. */
export async function openApiJson(): Promise<string> {
  const app = await createApp(loadConfig({}), { preview: true });
  const doc = buildOpenApiDocument(app);
  await app.close().catch(() => undefined);
  return JSON.stringify(doc, null, 2) + '\n';
}

if (process.argv[1]?.endsWith('openapi.js')) {
  const target = process.argv[2] ?? 'openapi.json';
  writeFileSync(target, await openApiJson());
  console.log(`wrote ${target}`);
}
