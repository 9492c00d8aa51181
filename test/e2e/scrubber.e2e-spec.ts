import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ImageScrubber } from '../../src/image-data/image-scrubber.js';
import { SCRUB_LOCK_KEY } from '../../src/image-data/image-locations.repository.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { recordNotifications } from '../support/images.js';

const OCTET = 'application/octet-stream';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-scrub-cfg-')), 'glint.yaml');
  writeFileSync(path, yaml);
  return path;
}

async function uploaded(t: TestApp, body = 'scrub me'): Promise<string> {
  const created = await t.http
    .post('/v2/images')
    .send({ name: 'scrub', disk_format: 'raw', container_format: 'bare' })
    .expect(201);
  const id = created.body.id as string;
  await t.http.put(`/v2/images/${id}/file`).set('Content-Type', OCTET).send(Buffer.from(body)).expect(204);
  return id;
}

async function row(t: TestApp, id: string): Promise<{ status: string; deleted: boolean }> {
  const [image] = await t.backend
    .get(DataSource)
    .query<Array<{ status: string; deleted: boolean }>>(
      `SELECT status, deleted FROM images WHERE id = $1::uuid`,
      [id],
    );
  return image;
}

async function locationStates(t: TestApp, id: string): Promise<string[]> {
  const rows = await t.backend
    .get(DataSource)
    .query<Array<{ status: string }>>(
      `SELECT status FROM image_locations WHERE image_id = $1::uuid ORDER BY id`,
      [id],
    );
  return rows.map((r) => r.status);
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

describe('scrubber (delayed_delete), on its schedule', () => {
  let t: TestApp;
  const file = (id: string) => join(t.dataDir, 'images', id);

  beforeAll(async () => {
    t = await startTestApp({}, configFile('delayed_delete: true\nscrub_time: 4\nwakeup_time: 1\n'));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps a deleted image data until scrub_time has passed, then removes it', async () => {
    const id = await uploaded(t);
    const kept = await uploaded(t, 'never scrubbed');
    const sent = recordNotifications(t);
    await t.http.delete(`/v2/images/${id}`).expect(204);

    // Deleted for the API at once, data and record kept for the scrubber.
    await t.http.get(`/v2/images/${id}`).expect(404);
    expect(existsSync(file(id))).toBe(true);
    expect(await row(t, id)).toEqual({ status: 'pending_delete', deleted: true });
    expect(await locationStates(t, id)).toEqual(['pending_delete']);
    const deletion = sent.find((n) => n.event_type === 'image.delete');
    expect(deletion?.payload).toMatchObject({ id, deleted: true, status: 'pending_delete' });

    // Several wake-ups happen before scrub_time is over; none may touch the data.
    await new Promise((r) => setTimeout(r, 2500));
    expect(existsSync(file(id))).toBe(true);

    await waitFor(() => !existsSync(file(id)), 15_000);
    await waitFor(async () => (await row(t, id)).status === 'deleted', 5_000);
    expect(await locationStates(t, id)).toEqual([]);

    // An image that is not deleted is never scrubbed.
    expect(existsSync(file(kept))).toBe(true);
    expect((await t.http.get(`/v2/images/${kept}/file`).buffer(true).expect(200)).body.toString()).toBe(
      'never scrubbed',
    );
  }, 40_000);
});

describe('scrubber (delayed_delete), one pass at a time', () => {
  let t: TestApp;
  let scrubber: ImageScrubber;
  const file = (id: string) => join(t.dataDir, 'images', id);

  beforeAll(async () => {
    // wakeup_time 0: no schedule on this node, passes run only when the test asks.
    t = await startTestApp({}, configFile('delayed_delete: true\nscrub_time: 0\nwakeup_time: 0\n'));
    scrubber = t.backend.get(ImageScrubber);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves data that another image still points at, and removes only the kept row', async () => {
    const id = await uploaded(t);
    const live = await uploaded(t, 'live');
    const db = t.backend.get(DataSource);
    const [{ url }] = await db.query<Array<{ url: string }>>(
      `SELECT url FROM image_locations WHERE image_id = $1::uuid`,
      [id],
    );
    // A second location of a live image on the same data (as Glance's location API can make).
    await db.query(
      `INSERT INTO image_locations (image_id, url, metadata, status, position) VALUES ($1::uuid, $2::text, '{}'::jsonb, 'active', 1)`,
      [live, url],
    );
    await t.http.delete(`/v2/images/${id}`).expect(204);
    expect(await scrubber.runOnce()).toBe(1);
    expect(existsSync(file(id))).toBe(true);
    expect(await locationStates(t, id)).toEqual([]);
    expect(await row(t, id)).toEqual({ status: 'deleted', deleted: true });
    expect(await locationStates(t, live)).toEqual(['active', 'active']);
  });

  it('does nothing while another process holds the scrub lock (PostgreSQL)', async () => {
    const id = await uploaded(t);
    await t.http.delete(`/v2/images/${id}`).expect(204);
    if (t.config.database.url) {
      const other = new pg.Client({ connectionString: t.config.database.url });
      await other.connect();
      try {
        await other.query(`SELECT pg_advisory_lock($1::bigint)`, [SCRUB_LOCK_KEY]);
        expect(await scrubber.runOnce()).toBeUndefined();
        expect(existsSync(file(id))).toBe(true);
        expect(await locationStates(t, id)).toEqual(['pending_delete']);
        await other.query(`SELECT pg_advisory_unlock($1::bigint)`, [SCRUB_LOCK_KEY]);
      } finally {
        await other.end();
      }
    }
    expect(await scrubber.runOnce()).toBe(1);
    expect(existsSync(file(id))).toBe(false);
    expect(await row(t, id)).toEqual({ status: 'deleted', deleted: true });
  });
});

describe('without delayed_delete', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('removes the data with the image', async () => {
    const id = await uploaded(t);
    await t.http.delete(`/v2/images/${id}`).expect(204);
    expect(existsSync(join(t.dataDir, 'images', id))).toBe(false);
    expect(await row(t, id)).toEqual({ status: 'deleted', deleted: true });
  });
});
