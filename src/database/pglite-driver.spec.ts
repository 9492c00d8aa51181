import { inject } from 'vitest';
import { DataSource } from 'typeorm';
import { embeddedDataSourceOptions, openEmbedded } from './data-source.js';
import { AcquireTimeoutError } from './pglite-driver.js';

describe('embedded database driver', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    const db = await openEmbedded(undefined, inject('embeddedSnapshot'));
    dataSource = new DataSource(embeddedDataSourceOptions(db, 500, false).options);
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE probe (id int PRIMARY KEY, big bigint)');
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('keeps two concurrent transactions apart: a rollback undoes only its own work', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const first = dataSource
      .transaction(async (m) => {
        await m.query('INSERT INTO probe (id) VALUES (1)');
        await sleep(50);
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    const second = dataSource.transaction((m) => m.query('INSERT INTO probe (id) VALUES (2)'));
    await Promise.all([first, second]);
    const rows: Array<{ id: number }> = await dataSource.query('SELECT id FROM probe ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([2]);
  });

  it('fails with a timeout, not a hang, when a transaction waits on a second connection', async () => {
    await expect(
      dataSource.transaction(async () => {
        await dataSource.query('SELECT 1');
      }),
    ).rejects.toBeInstanceOf(AcquireTimeoutError);
  });

  it('returns bigint as a string, as node-postgres does', async () => {
    await dataSource.query('INSERT INTO probe (id, big) VALUES (3, 9007199254740993)');
    const [row] = await dataSource.query('SELECT big FROM probe WHERE id = 3');
    expect(row.big).toBe('9007199254740993');
  });

  it('reports unique violations with the PostgreSQL code', async () => {
    await expect(dataSource.query('INSERT INTO probe (id) VALUES (2)')).rejects.toMatchObject({
      code: '23505',
    });
  });
});
