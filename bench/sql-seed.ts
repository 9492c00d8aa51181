import pg from 'pg';

/**
 * Seeds images straight into Glint's PostgreSQL database: 100 000 images through the API would
 * take minutes on Glint and about an hour on Glance.
 *
 * This is the only place that knows Glint's table layout. It follows the `images` table of the
 * Images migration (uuid id, name, status, visibility, protected, os_hidden, owner, min_disk,
 * min_ram, container_format, disk_format, size, created_at, updated_at, deleted). When that
 * layout changes, adapt `seedImagesSql` below; the bench checks after seeding that the API sees
 * the rows and stops with a message pointing here when it does not.
 */
export interface SqlSeed {
  /** Project that owns the images (what X-Project-Id says for the list). */
  owner: string;
  /** Index of the first image and how many to add; names are `${prefix}-${index}`. */
  from: number;
  count: number;
  prefix: string;
}

export function seedImagesSql(seed: SqlSeed): { text: string; values: unknown[] } {
  return {
    // Queued images without data, as a create leaves them; created_at one millisecond apart so
    // the default sort (created_at desc, id desc) has a stable order.
    text: `
      INSERT INTO images (id, name, status, visibility, protected, os_hidden, owner, min_disk, min_ram,
                          container_format, disk_format, created_at, updated_at, deleted)
      SELECT gen_random_uuid(), $2 || '-' || g, 'queued', 'shared', false, false, $1, 0, 0,
             'bare', 'raw', now() - make_interval(secs => g / 1000.0), now(), false
      FROM generate_series($3::int, $3::int + $4::int - 1) AS g`,
    values: [seed.owner, seed.prefix, seed.from, seed.count],
  };
}

export async function seedImagesIntoDatabase(databaseUrl: string, seed: SqlSeed): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { text, values } = seedImagesSql(seed);
    await client.query(text, values).catch((err: unknown) => {
      throw new Error(
        `seeding images with SQL failed (${err instanceof Error ? err.message : String(err)}); ` +
          'adapt seedImagesSql in bench/sql-seed.ts to the current images table',
      );
    });
    // Fresh statistics, so the planner sees the new rows as Glint's own inserts would let it.
    await client.query('ANALYZE images');
  } finally {
    await client.end();
  }
}
