import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { startLocalS3 } from '../support/s3-server.js';
import type { LocalS3 } from '../support/s3-server.js';
import { as } from '../support/images.js';
import { files } from '../support/files.js';

const USER = as('p1');
const ADMIN = as('p1', 'admin,member,reader');
const OCTET = 'application/octet-stream';

/** The staging store on S3 (s3rver): what a node stages, any node on the same database imports. */
describe('staging store on S3', () => {
  let s3: LocalS3;
  let cfg: string;
  const open: TestApp[] = [];
  const data = randomBytes(3 * 1024 * 1024 + 11);

  beforeAll(async () => {
    s3 = await startLocalS3();
    cfg = join(mkdtempSync(join(tmpdir(), 'glint-s3stage-')), 'glint.yaml');
    writeFileSync(
      cfg,
      [
        'stores:',
        '  os_glance_staging_store:',
        `    s3_store_host: ${s3.endpoint}`,
        '    s3_store_access_key: S3RVER',
        '    s3_store_secret_key: S3RVER',
        '    s3_store_bucket: staging',
        '    s3_store_create_bucket_on_put: true',
        '    s3_store_bucket_url_format: path',
        '    s3_store_large_object_chunk_size: 5',
        '',
      ].join('\n'),
    );
  });
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  afterAll(async () => {
    await s3?.close();
  });

  async function finished(t: TestApp, id: string): Promise<Record<string, unknown>> {
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const tasks = (await t.http.get(`/v2/images/${id}/tasks`).set(ADMIN).expect(200)).body.tasks;
      const done = tasks.find((x: { status: string }) => x.status === 'success' || x.status === 'failure');
      if (done) return done;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no finished task for image ${id}`);
  }

  async function stageThenImport(a: TestApp, b: TestApp): Promise<void> {
    const id = (
      await a.http
        .post('/v2/images')
        .set(USER)
        .send({ name: 's3-staged', disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body.id as string;
    await a.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    expect(s3.files('staging').some((f) => f.includes(id))).toBe(true);
    expect(files(join(a.dataDir, 'staging'))).toEqual([]);

    await b.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' } })
      .expect(202);
    const task = await finished(b, id);
    expect(task.status, String(task.message)).toBe('success');
    const img = (await a.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
    });
    expect(files(join(b.dataDir, 'images'))).toEqual([id]);
    // The staged object is gone once imported.
    expect(s3.files('staging').filter((f) => f.includes(id))).toEqual([]);
  }

  it('stages into the bucket and imports from it', async () => {
    const t = await startTestApp({ GLINT_AUTH: 'trusted' }, cfg);
    open.push(t);
    await stageThenImport(t, t);
  });

  it('stages through one app and imports through another on the same PostgreSQL', async (ctx) => {
    const db = await createTestDatabase();
    if (!db) ctx.skip();
    try {
      const a = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_TASK_CONCURRENCY: '0' }, cfg, {
        databaseUrl: db!.url,
      });
      open.push(a);
      // B keeps image files where A can read them back: one shared image directory.
      const b = await startTestApp({ GLINT_AUTH: 'trusted' }, cfg, {
        databaseUrl: db!.url,
        dataDir: a.dataDir,
      });
      open.push(b);
      await stageThenImport(a, b);
    } finally {
      for (const t of open.splice(0)) await t.close();
      await db?.drop();
    }
  });
});
