import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';

const as = (roles: string, project = 'p1') => ({
  'X-Identity-Status': 'Confirmed',
  'X-Project-Id': project,
  'X-User-Id': 'u1',
  'X-Roles': roles,
});

describe('stores discovery, single store (no enabled_backends)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(() => t?.close());

  it('answers 404 for the store list and detail, as Glance without multi-store', async () => {
    const list = await t.http.get('/v2/info/stores').set(as('admin')).expect(404);
    expect(list.text).toContain('Multi backend is not supported at this site.');
    const detail = await t.http
      .get('/v2/info/stores/detail')
      .set(as('reader'))
      .set('Accept', 'application/json')
      .expect(404);
    expect(detail.body.message).toContain('Multi backend is not supported at this site.');
  });

  it('does not announce the multi-store API versions', async () => {
    const res = await t.http.get('/versions').expect(200);
    const ids = res.body.versions.map((v: { id: string }) => v.id);
    expect(ids).not.toContain('v2.8');
    expect(ids).not.toContain('v2.13');
  });
});

describe('stores discovery, multi-store', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glint-stores-e2e-'));
    const config = join(dir, 'glint.yaml');
    writeFileSync(
      config,
      stringify({
        stores: {
          enabled_backends: { fast: 'file', cold: 's3', web: 'http' },
          default_backend: 'fast',
          fast: {
            store_description: 'Fast local disks',
            weight: 100,
            filesystem_store_datadir: join(dir, 'fast'),
          },
          cold: {
            s3_store_host: 'http://127.0.0.1:1',
            s3_store_access_key: 'k',
            s3_store_secret_key: 's',
            s3_store_bucket: 'images',
            weight: 10,
          },
          web: {},
        },
      }),
    );
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, config);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the operator stores to any caller, flags as the string "true", no os_glance_ store', async () => {
    const res = await t.http.get('/v2/info/stores').set(as('reader')).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      stores: [
        { id: 'fast', description: 'Fast local disks', default: 'true' },
        { id: 'cold' },
        { id: 'web', 'read-only': 'true' },
      ],
    });
  });

  it('shows the detail to admins, with type, weight and driver properties', async () => {
    const res = await t.http.get('/v2/info/stores/detail').set(as('admin')).expect(200);
    expect(res.body.stores).toEqual([
      {
        id: 'fast',
        description: 'Fast local disks',
        default: 'true',
        type: 'file',
        weight: 100,
        properties: { data_dir: `${join(dir, 'fast')}/`, chunk_size: 65536, thin_provisioning: false },
      },
      {
        id: 'cold',
        type: 's3',
        weight: 10,
        properties: {
          s3_store_large_object_size: 100,
          s3_store_large_object_chunk_size: 10,
          s3_store_thread_pools: 10,
        },
      },
      { id: 'web', 'read-only': 'true', type: 'http', weight: 0, properties: {} },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('os_glance');
  });

  it('refuses the detail to members (policy stores_info_detail) and allows service roles', async () => {
    const res = await t.http.get('/v2/info/stores/detail').set(as('member')).expect(403);
    expect(res.text).toContain('stores_info_detail');
    await t.http.get('/v2/info/stores/detail').set(as('service')).expect(200);
  });

  it('refuses a request body on these GETs', async () => {
    const res = await t.http
      .get('/v2/info/stores')
      .set(as('reader'))
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(res.status).toBe(400);
    expect(res.text).toContain('A body is not expected with this request.');
  });

  it('announces the multi-store API versions', async () => {
    const res = await t.http.get('/versions').expect(200);
    const ids = res.body.versions.map((v: { id: string }) => v.id);
    for (const v of ['v2.8', 'v2.10', 'v2.11', 'v2.12', 'v2.13']) expect(ids).toContain(v);
  });
});

describe('stores configuration errors', () => {
  it('stops the start naming an unknown store type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glint-stores-bad-'));
    const config = join(dir, 'glint.yaml');
    writeFileSync(config, stringify({ stores: { enabled_backends: { a: 'tape' }, default_backend: 'a' } }));
    await expect(startTestApp({}, config)).rejects.toThrow(
      /stores\.enabled_backends\.a: unknown store type "tape"/,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
