import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
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
import { createRegistryApp } from '../../src/registry/registry.app.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: TestAgent;
  dataDir: string;
  /** In registry mode: the GLINT_ROLE=registry process that `app` (GLINT_ROLE=api) calls. */
  registry?: { app: NestExpressApplication; config: AppConfig; http: TestAgent };
  /** The app that holds the database and runs the tasks: the registry in registry mode, else `app`. */
  backend: NestExpressApplication;
  close(): Promise<void>;
}

/**
 * How test apps run: `all` (one process with the database, the default) or `registry` (a
 * GLINT_ROLE=registry app holding the database, and the app under test as GLINT_ROLE=api calling
 * it over TCP). GLINT_TEST_ROLE=registry runs a whole spec file the second way (npm run test:registry).
 */
export type TestRole = 'all' | 'registry';

export function testRole(): TestRole {
  const role = process.env.GLINT_TEST_ROLE ?? 'all';
  if (role !== 'all' && role !== 'registry')
    throw new Error(`GLINT_TEST_ROLE must be all or registry, not ${role}`);
  return role;
}

/** A loopback port nobody listens on right now (for the registry's TCP listener). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
  /**
   * Runs before the app's lifecycle hooks, e.g. to register task handlers. Registry mode: it runs
   * on the registry app, which runs the tasks (and emits their notifications).
   */
  beforeInit?: (app: NestExpressApplication) => void | Promise<void>;
  /** Overrides GLINT_TEST_ROLE for this app. */
  role?: TestRole;
  /** Registry mode: the transport both ends use (default tcp:// on a free loopback port). */
  registryUrl?: string;
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
  const base = {
    GLINT_DATA_DIR: dataDir,
    GLINT_LOG_LEVEL: 'silent',
    ...(glanceConfigFile ? { GLINT_CONFIG: glanceConfigFile } : {}),
    ...env,
  };
  const useSnapshot = (config: AppConfig) => {
    if (!url && !options.dataDir) config.database.embeddedSnapshot = inject('embeddedSnapshot');
  };
  let registry: TestApp['registry'];
  let config: AppConfig;
  if ((options.role ?? testRole()) === 'registry') {
    const listen = options.registryUrl ?? `tcp://127.0.0.1:${await freePort()}`;
    const registryConfig = loadConfig({
      ...base,
      ...(url ? { DATABASE_URL: url } : {}),
      GLINT_ROLE: 'registry',
      GLINT_REGISTRY_LISTEN: listen,
    });
    useSnapshot(registryConfig);
    // Tasks run where the task queue is: the registry (task handlers are registered there).
    const registryApp = await createRegistryApp(registryConfig, { beforeInit: options.beforeInit });
    registry = { app: registryApp, config: registryConfig, http: request(registryApp.getHttpServer()) };
    // No DATABASE_URL: an api process refuses one.
    config = loadConfig({ ...base, GLINT_ROLE: 'api', GLINT_REGISTRY_URL: listen });
  } else {
    config = loadConfig({ ...base, ...(url ? { DATABASE_URL: url } : {}) });
    useSnapshot(config);
  }
  let app: NestExpressApplication;
  try {
    app = await createApp(config, {
      beforeInit: registry ? undefined : options.beforeInit,
      extraModules: options.extraModules,
    });
  } catch (err) {
    await registry?.app.close();
    throw err;
  }
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    dataDir,
    registry,
    backend: registry?.app ?? app,
    async close() {
      await app.close();
      await registry?.app.close();
      await database?.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
