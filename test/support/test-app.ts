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

export interface TestAppOptions {
  /**
   * Share a database with other apps: this PostgreSQL URL is used as it is (not created, not
   * dropped). Several apps on one URL act as several processes of one deployment.
   */
  databaseUrl?: string;
  /**
   * Keep data here instead of a fresh temp dir, and (without DATABASE_URL) open the embedded
   * database on disk under it instead of the in-memory snapshot: a later app given the same
   * dir sees the same database, as a restarted process would. The dir is not deleted on close.
   */
  dataDir?: string;
  /** Test-only modules mounted beside the features (e.g. a policy probe controller). */
  extraModules?: Array<Type | DynamicModule>;
  /** Runs before the app's lifecycle hooks, e.g. to register task handlers. */
  beforeInit?: (app: NestExpressApplication) => void | Promise<void>;
}

/** A fresh PostgreSQL database that the caller owns (for apps sharing it via `databaseUrl`). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const baseUrl = process.env.DATABASE_URL;
  return baseUrl ? freshPostgresDatabase(baseUrl) : undefined;
}

/**
 * Starts Glint in-process with its real wiring: migrations on a real database (PostgreSQL when
 * DATABASE_URL is set, else the embedded one from the suite's snapshot) and temp-dir data.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  glanceConfigFile?: string,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'glint-app-'));
  const baseUrl = process.env.DATABASE_URL;
  const database = options.databaseUrl
    ? undefined
    : baseUrl
      ? await freshPostgresDatabase(baseUrl)
      : undefined;
  const url = options.databaseUrl ?? database?.url;
  const config = loadConfig({
    GLINT_DATA_DIR: dataDir,
    GLINT_LOG_LEVEL: 'silent',
    ...(url ? { DATABASE_URL: url } : {}),
    ...(glanceConfigFile ? { GLINT_CONFIG: glanceConfigFile } : {}),
    ...env,
  });
  if (!url && !options.dataDir) config.database.embeddedSnapshot = inject('embeddedSnapshot');
  const app = await createApp(config, { beforeInit: options.beforeInit, extraModules: options.extraModules });
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    dataDir,
    async close() {
      await app.close();
      await database?.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
