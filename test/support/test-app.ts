import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/app-config.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { createApp } from '../../src/app.factory.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: TestAgent;
  dataDir: string;
  close(): Promise<void>;
}

/** A PostgreSQL database of its own for one test app, dropped when the app closes. */
async function freshPostgresDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `glint_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Starts Glint in-process with its real wiring: migrations on a real database (PostgreSQL when
 * DATABASE_URL is set, else the embedded one from the suite's snapshot) and temp-dir data.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  glanceConfigFile?: string,
  options: { extraModules?: Array<Type | DynamicModule> } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'glint-app-'));
  const baseUrl = process.env.DATABASE_URL;
  const database = baseUrl ? await freshPostgresDatabase(baseUrl) : undefined;
  const config = loadConfig({
    GLINT_DATA_DIR: dataDir,
    GLINT_LOG_LEVEL: 'silent',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(glanceConfigFile ? { GLINT_CONFIG: glanceConfigFile } : {}),
    ...env,
  });
  if (!database) config.database.embeddedSnapshot = inject('embeddedSnapshot');
  const app = await createApp(config, options);
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    dataDir,
    async close() {
      await app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
