import { mkdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities.js';
import { pgliteDriver } from './pglite-driver.js';
import type { PgliteDriver } from './pglite-driver.js';

/** int8 and numeric stay strings, as node-postgres returns them, so both back ends agree. */
const KEEP_AS_TEXT = { 20: (v: string) => v, 1700: (v: string) => v };

/**
 * Opens the embedded database: a PGlite cluster under `dir` (created on first use), or an
 * in-memory copy of a snapshot made by `dumpDataDir` (tests load one instead of running initdb).
 */
export async function openEmbedded(dir: string | undefined, snapshotFile?: string): Promise<PGlite> {
  if (snapshotFile) {
    const snapshot = new Blob([readFileSync(snapshotFile)]);
    return PGlite.create({ loadDataDir: snapshot, parsers: KEEP_AS_TEXT });
  }
  if (dir) mkdirSync(dir, { recursive: true });
  return PGlite.create({ dataDir: dir, parsers: KEEP_AS_TEXT });
}

export interface BuiltDataSource {
  options: DataSourceOptions;
  /** Present on the embedded database, for libraries that must share its single session. */
  embedded?: PgliteDriver;
}

const COMMON = {
  type: 'postgres' as const,
  entities: ENTITIES,
  migrations: MIGRATIONS,
  migrationsTableName: 'glint_migrations',
  synchronize: false,
  // PGlite has no uuid-ossp; gen_random_uuid() is built into PostgreSQL 13+ and PGlite alike.
  installExtensions: false,
  uuidExtension: 'pgcrypto' as const,
  logging: ['error' as const],
};

export function embeddedDataSourceOptions(
  database: Promise<PGlite> | PGlite,
  acquireTimeoutMs: number,
  migrate: boolean,
): BuiltDataSource {
  const embedded = pgliteDriver(database, acquireTimeoutMs);
  return { options: { ...COMMON, driver: embedded, database: 'glint', migrationsRun: migrate }, embedded };
}

export function buildDataSourceOptions(db: DatabaseConfig): BuiltDataSource {
  if (db.url) {
    return {
      options: {
        ...COMMON,
        url: db.url,
        poolSize: db.poolSize,
        migrationsRun: db.migrate,
        applicationName: 'glint',
      },
    };
  }
  const database = openEmbedded(db.embeddedSnapshot ? undefined : db.embeddedDir, db.embeddedSnapshot);
  return embeddedDataSourceOptions(database, db.acquireTimeoutMs, db.migrate);
}
