import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DataSource } from 'typeorm';
import { embeddedDataSourceOptions, openEmbedded } from '../src/database/data-source.js';
import { prepareJobSchema } from '../src/tasks/executor/job-queue.js';

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedSnapshot: string;
  }
}

/**
 * initdb inside PGlite takes seconds, so it runs once: the migrated database is dumped to a
 * snapshot that each test app loads into memory. With DATABASE_URL set, tests use PostgreSQL
 * and every test app gets a database of its own instead.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'glint-test-'));
  const snapshot = join(dir, 'embedded.tar.gz');
  const db = await openEmbedded(undefined);
  const dataSource = new DataSource(embeddedDataSourceOptions(db, 30_000, false).options);
  await dataSource.initialize();
  await dataSource.runMigrations();
  await prepareJobSchema(db);
  const dump = await db.dumpDataDir('gzip');
  writeFileSync(snapshot, Buffer.from(await dump.arrayBuffer()));
  await dataSource.destroy();
  project.provide('embeddedSnapshot', snapshot);
  return () => rmSync(dir, { recursive: true, force: true });
}
