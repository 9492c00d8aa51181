import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as, errorText, recordNotifications, bytes } from '../support/images.js';
import { DataSource } from 'typeorm';
import { ImagesService } from '../../src/images/images.service.js';
import { ImageDataService } from '../../src/image-data/image-data.service.js';
import { files, waitFor } from '../support/files.js';

const OCTET = 'application/octet-stream';
const ADMIN = as('p1', 'admin,member,reader');
const USER = as('p1');

describe('POST /v2/images/{id}/import on two file stores', () => {
  let t: TestApp;
  let fast: string;
  let cold: string;
  let server: Server;
  let port: number;
  const data = randomBytes(100 * 1024);

  beforeAll(async () => {
    fast = mkdtempSync(join(tmpdir(), 'glint-imp-fast-'));
    cold = mkdtempSync(join(tmpdir(), 'glint-imp-cold-'));
    server = createServer((req, res) => {
      if (req.url === '/img') res.end(data);
      else if (req.url === '/short') {
        res.writeHead(200, { 'Content-Length': String(data.length) });
        res.write(data.subarray(0, 1000));
        setTimeout(() => res.destroy(), 50);
      } else if (req.url === '/redirect-out') res.writeHead(302, { Location: 'http://127.0.0.1:1/x' }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const cfg = join(mkdtempSync(join(tmpdir(), 'glint-imp-cfg-')), 'glint.yaml');
    writeFileSync(
      cfg,
      [
        'stores:',
        '  enabled_backends: {fast: file, cold: file}',
        '  default_backend: fast',
        `  fast: {filesystem_store_datadir: ${fast}}`,
        `  cold: {filesystem_store_datadir: ${cold}}`,
        'import_filtering_opts:',
        `  allowed_ports: [80, 443, ${port}]`,
        '  allowed_hosts: [127.0.0.1]',
        '',
      ].join('\n'),
    );
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, cfg);
  });
  afterAll(async () => {
    await t?.close();
    server?.close();
  });

  async function image(body: object = { disk_format: 'raw', container_format: 'bare' }) {
    return (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ name: 'imp', ...body })
        .expect(201)
    ).body as {
      id: string;
    };
  }
  async function tasksOf(id: string) {
    return (await t.http.get(`/v2/images/${id}/tasks`).set(ADMIN).expect(200)).body.tasks as Array<
      Record<string, unknown>
    >;
  }
  async function finished(id: string) {
    return waitFor(async () => {
      const tasks = await tasksOf(id);
      const done = tasks.find((x) => x.status === 'success' || x.status === 'failure');
      return done;
    });
  }

  it('validates the body with Glance messages', async () => {
    const { id } = await image();
    const cases: Array<[object, string]> = [
      [{}, "Import request requires a 'method' field."],
      [{ method: {} }, "Import request requires a 'name' field."],
      [{ method: { name: 'bogus' } }, "Unknown import method name 'bogus'."],
      [{ method: { name: 'glance-direct' }, all_stores: 'x' }, "'all_stores' must be boolean value only"],
    ];
    for (const [body, text] of cases) {
      const res = await t.http.post(`/v2/images/${id}/import`).set(USER).send(body);
      expect(res.status).toBe(400);
      expect(errorText(res.body)).toBe(text);
    }
  });

  it('checks preconditions in order: status per method, formats, unknown store', async () => {
    const bare = await image({});
    const gd = await t.http
      .post(`/v2/images/${bare.id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' } });
    expect([gd.status, errorText(gd.body)]).toEqual([
      409,
      "Image needs to be staged before 'glance-direct' method can be used",
    ]);
    const wd = await t.http
      .post(`/v2/images/${bare.id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` } });
    expect([wd.status, errorText(wd.body)]).toEqual([
      409,
      "'container_format' needs to be set before import",
    ]);
    const cp = await t.http
      .post(`/v2/images/${bare.id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' } });
    expect([cp.status, errorText(cp.body)]).toEqual([
      409,
      'Only images with status active can be targeted for copying',
    ]);
    const { id } = await image();
    const st = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` }, stores: ['nope'] });
    expect([st.status, errorText(st.body)]).toEqual([409, 'Store for identifier nope not found']);
  });

  it('glance-direct: 202 empty, data in both stores, active, staging gone, lock released', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    const res = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' }, stores: ['fast', 'cold'] })
      .expect(202);
    expect(res.text).toBe('');
    const task = await finished(id);
    expect(task.status).toBe('success');
    expect(task.type).toBe('api_image_import');
    expect(task.input).toMatchObject({ image_id: id, backend: ['fast', 'cold'] });
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('active');
    expect(img.checksum).toBe(createHash('md5').update(data).digest('hex'));
    expect(img.stores.split(',').sort()).toEqual(['cold', 'fast']);
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(fast)).toContain(id);
    expect(files(cold)).toContain(id);
    expect(await t.backend.get(ImageDataService).stagedLocations(id)).toEqual([]);
    const dl = await t.http.get(`/v2/images/${id}/file`).set(USER).buffer(true).parse(bytes);
    expect(Buffer.compare(dl.body as Buffer, data)).toBe(0);
  });

  it('glance-direct failure (format mismatch) reverts: queued, no data written, staging gone, lock released', async () => {
    const { id } = await image({ disk_format: 'qcow2', container_format: 'bare' });
    await t.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' } })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).not.toBe('');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(img.os_glance_import_task).toBeUndefined();
    expect(img.os_glance_failed_import).toBe('fast');
    expect(await t.backend.get(ImageDataService).stagedLocations(id)).toEqual([]);
    expect(files(fast)).not.toContain(id);
    expect(files(cold)).not.toContain(id);
  });

  it('copy-image: admin only, copies to another store, refuses a store that has it', async () => {
    const { id } = await image();
    // As Glance, the image's status is judged before the policy: a queued image is 409 for anyone.
    const early = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] });
    expect(early.status).toBe(409);
    expect(errorText(early.body)).toBe('Only images with status active can be targeted for copying');
    await t.http.put(`/v2/images/${id}/file`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    const denied = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] });
    expect(denied.status).toBe(403);
    const there = await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['fast'] });
    expect([there.status, errorText(there.body)]).toEqual([400, "Image is already present at store 'fast'"]);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('success');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('active');
    expect(img.stores.split(',').sort()).toEqual(['cold', 'fast']);
    expect(files(cold)).toContain(id);
    expect(img.os_glance_import_task).toBeUndefined();
  });

  it('web-download: fetches from an allowed loopback port into the store', async () => {
    const { id } = await image();
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` } })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('success');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('active');
    expect(img.size).toBe(data.length);
    expect(files(fast)).toContain(id);
  });

  it('web-download validation_data: malformed is 400 with Glance texts', async () => {
    const { id } = await image();
    const uri = `http://127.0.0.1:${port}/img`;
    const sha256 = 'ab'.repeat(32);
    const cases: Array<[unknown, string]> = [
      ['x', "'x' is not of type 'object'"],
      [{}, "'os_hash_algo' is a required property"],
      [{ os_hash_algo: 'sha256' }, "'os_hash_value' is a required property"],
      [{ os_hash_value: sha256 }, "'os_hash_algo' is a required property"],
      [
        { os_hash_algo: 'sha256', os_hash_value: sha256, size: 1 },
        "Additional properties are not allowed ('size' was unexpected)",
      ],
      [
        { os_hash_algo: 'sha3_512', os_hash_value: sha256 },
        "'sha3_512' is not one of ['sha1', 'sha256', 'sha512', 'md5']",
      ],
      [{ os_hash_algo: 'sha256', os_hash_value: 5 }, "5 is not of type 'string'"],
      [
        { os_hash_algo: 'sha256', os_hash_value: 'zz' },
        'os_hash_value (zz) is not a valid hexadecimal value',
      ],
      [
        { os_hash_algo: 'sha512', os_hash_value: sha256 },
        `os_hash_value (${sha256}) is not the correct size for sha512 (should be 64 bytes)`,
      ],
      [{ checksum: 'abc' }, 'checksum (abc) is not a valid hexadecimal value'],
      [{ checksum: 'abcd' }, 'checksum (abcd) is not the correct size for md5 (should be 16 bytes)'],
    ];
    for (const [validation, text] of cases) {
      const res = await t.http
        .post(`/v2/images/${id}/import`)
        .set(USER)
        .send({ method: { name: 'web-download', uri, validation_data: validation } });
      expect(res.status).toBe(400);
      expect(errorText(res.body)).toBe(text);
    }
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(await tasksOf(id)).toEqual([]);
  });

  it('web-download validation_data: matching hashes activate the image', async () => {
    const uri = `http://127.0.0.1:${port}/img`;
    const md5 = createHash('md5').update(data).digest('hex');
    for (const validation of [
      {
        os_hash_algo: 'sha256',
        os_hash_value: createHash('sha256').update(data).digest('hex').toUpperCase(),
      },
      { checksum: md5, os_hash_algo: 'sha1', os_hash_value: createHash('sha1').update(data).digest('hex') },
      { checksum: md5 },
    ]) {
      const { id } = await image();
      await t.http
        .post(`/v2/images/${id}/import`)
        .set(USER)
        .send({ method: { name: 'web-download', uri, validation_data: validation } })
        .expect(202);
      const task = await finished(id);
      expect(task.status).toBe('success');
      const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
      expect(img.status).toBe('active');
      expect(img.checksum).toBe(md5);
      // The image keeps the configured algorithm; the source's is only checked.
      expect(img.os_hash_algo).toBe('sha512');
      expect(img.os_hash_value).toBe(createHash('sha512').update(data).digest('hex'));
      expect(files(join(t.dataDir, 'staging'))).not.toContain(id);
    }
  });

  it('web-download validation_data: a mismatch fails the task, reverts to queued and leaves no data', async () => {
    const uri = `http://127.0.0.1:${port}/img`;
    const wrong = createHash('sha256').update('other').digest('hex');
    const { id } = await image();
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({
        method: {
          name: 'web-download',
          uri,
          validation_data: { os_hash_algo: 'sha256', os_hash_value: wrong },
        },
      })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    const actual = createHash('sha256').update(data).digest('hex');
    expect(task.message).toBe(
      `Downloaded data does not match validation_data: sha256 hash mismatch: expected ${wrong}, got ${actual}`,
    );
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(img.checksum).toBeNull();
    expect(img.os_glance_import_task).toBeUndefined();
    expect(img.os_glance_failed_import).toBe('fast');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(files(fast)).not.toContain(id);
    expect(files(cold)).not.toContain(id);
    expect(files(join(t.dataDir, 'staging'))).not.toContain(id);

    // A wrong md5 alone fails the same way.
    const other = await image();
    await t.http
      .post(`/v2/images/${other.id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri, validation_data: { checksum: '0'.repeat(32) } } })
      .expect(202);
    const second = await finished(other.id);
    expect(second.status).toBe('failure');
    expect(second.message).toMatch(
      /^Downloaded data does not match validation_data: Checksum mismatch: expected 0{32}, got /,
    );
    expect((await t.http.get(`/v2/images/${other.id}`).set(USER).expect(200)).body.status).toBe('queued');
    expect(files(join(t.dataDir, 'staging'))).toEqual([]);
  });

  it('web-download: a URI that fails filtering is 400; a redirect to a refused port fails the task and reverts', async () => {
    const { id } = await image();
    const bad = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: 'http://127.0.0.1:1/img' } });
    expect([bad.status, errorText(bad.body)]).toEqual([
      400,
      'URI for web-download does not pass filtering: http://127.0.0.1:1/img',
    ]);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/redirect-out` } })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe('URI for web-download does not pass filtering: http://127.0.0.1:1/x');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(img.os_glance_import_task).toBeUndefined();
  });

  it('store rules: stores with the header, all_stores with stores, another project', async () => {
    const { id } = await image();
    const both = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .set('X-Image-Meta-Store', 'fast')
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` }, stores: ['cold'] });
    expect([both.status, errorText(both.body)]).toEqual([
      400,
      "Stores parameter and x-image-meta-store header can't be both specified",
    ]);
    const all = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({
        method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` },
        stores: ['cold'],
        all_stores: true,
      });
    expect([all.status, errorText(all.body)]).toEqual([
      400,
      "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
    ]);
    const other = await t.http
      .post(`/v2/images/${id}/import`)
      .set(as('p2'))
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` } });
    expect(other.status).toBe(404);
  });

  it('sends the notifications in Glance order for glance-direct', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    const sent = recordNotifications(t);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' } })
      .expect(202);
    expect((await finished(id)).status).toBe('success');
    await waitFor(() => Promise.resolve(sent.some((n) => n.event_type === 'task.run') ? true : undefined));
    const seq = sent
      .map((n) => {
        const p = n.payload as { status?: string };
        return n.event_type === 'image.update' ? `image.update:${p.status}` : n.event_type;
      })
      .filter((e, i, a) => !(e.startsWith('image.update') && a[i - 1] === e));
    const want = [
      'task.create',
      'task.processing',
      'image.update:importing',
      'image.prepare',
      'image.upload',
      'image.activate',
      'image.update:active',
      'task.success',
      'task.run',
    ];
    const idx = want.map((w) => seq.indexOf(w));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    const prepare = sent.find((n) => n.event_type === 'image.prepare')!.payload as Record<string, unknown>;
    expect(prepare).toMatchObject({ backend: 'fast', os_glance_importing_to_stores: ['fast'] });
  });

  it('the import lock: a live holder is 409, a missing or stale holder is taken over', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/file`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] })
      .expect(202);
    const first = await finished(id);
    expect(first.status).toBe('success');
    // A finished task that was updated a moment ago still holds the lock (Glance's rule).
    const images = t.backend.get(ImagesService);
    expect(await images.tryTakeProperty(id, 'os_glance_import_task', String(first.id))).toBe(true);
    await t.http.delete(`/v2/stores/cold/${id}`).set(ADMIN).expect(204);
    const held = await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] });
    expect([held.status, errorText(held.body)]).toEqual([409, 'Image has active task']);
    // Aged past 60 minutes: stale, taken over.
    await t.backend
      .get(DataSource)
      .query(`UPDATE tasks SET updated_at = now() - interval '2 hours' WHERE id = $1`, [first.id]);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] })
      .expect(202);
    const second = await waitFor(async () =>
      (await tasksOf(id)).find((x) => x.id !== first.id && x.status === 'success'),
    );
    expect(second).toBeDefined();
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.os_glance_import_task).toBeUndefined();
    expect(img.stores.split(',').sort()).toEqual(['cold', 'fast']);
  });

  it('copy-image failure (source corrupted) leaves the image active in its store only', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/file`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    writeFileSync(join(fast, id), randomBytes(data.length));
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(ADMIN)
      .send({ method: { name: 'copy-image' }, stores: ['cold'] })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).not.toBe('');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast');
    expect(img.os_glance_failed_import).toBe('cold');
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(cold)).not.toContain(id);
  });

  it('web-download: a body shorter than its Content-Length fails and reverts', async () => {
    const { id } = await image();
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/short` } })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(fast)).not.toContain(id);
  });

  it('all_stores_must_succeed=false: one store failing is recorded, the image activates from the other', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    // A directory where the cold store would write the image makes that one write fail.
    mkdirSync(join(cold, id));
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' }, stores: ['cold', 'fast'], all_stores_must_succeed: false })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('success');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast');
    expect(img.os_glance_failed_import).toBe('cold');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.os_glance_import_task).toBeUndefined();
  });

  it('all_stores_must_succeed=true: one store failing reverts the stores already written', async () => {
    const { id } = await image();
    await t.http.put(`/v2/images/${id}/stage`).set(USER).set('Content-Type', OCTET).send(data).expect(204);
    mkdirSync(join(cold, id));
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'glance-direct' }, stores: ['fast', 'cold'] })
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('failure');
    const img = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img.status).toBe('queued');
    expect(img.stores).toBeUndefined();
    expect(files(fast)).not.toContain(id);
    expect(img.os_glance_import_task).toBeUndefined();
  });

  it('web-download reports byte progress while it copies', async () => {
    const { id } = await image();
    const sent = recordNotifications(t);
    await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` } })
      .expect(202);
    expect((await finished(id)).status).toBe('success');
    const progress = sent.filter((n) => n.event_type === 'image.import.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0].payload).toMatchObject({ image_id: id });
  });
});

describe('web-download with the default import filter', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function queuedImage(app: TestApp): Promise<string> {
    const res = await app.http
      .post('/v2/images')
      .set(USER)
      .send({ name: 'w', disk_format: 'raw', container_format: 'bare' })
      .expect(201);
    return res.body.id as string;
  }

  it('refuses the machine itself, the metadata service and private networks on the default port', async () => {
    const id = await queuedImage(t);
    for (const uri of [
      'http://127.0.0.1/img',
      'http://localhost/img',
      'http://[::1]/img',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/img',
      'http://192.168.0.1/img',
    ]) {
      const res = await t.http
        .post(`/v2/images/${id}/import`)
        .set(USER)
        .send({ method: { name: 'web-download', uri } });
      expect([res.status, errorText(res.body)]).toEqual([
        400,
        `URI for web-download does not pass filtering: ${uri}`,
      ]);
    }
    const image = (await t.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(image.status).toBe('queued');
    expect(image.os_glance_import_task).toBeUndefined();
  });

  it('fails the task when an allowed source redirects to them, and the image stays queued', async () => {
    // The source is the one host the operator allowed; where it redirects is not.
    const targets = [
      'http://127.0.0.1/img',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/img',
    ];
    const redirector = createServer((req, res) => {
      const target = targets[Number(req.url?.slice(1))];
      res.writeHead(302, { Location: target }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', r));
    const port = (redirector.address() as AddressInfo).port;
    const cfg = join(mkdtempSync(join(tmpdir(), 'glint-imp-redir-')), 'glint.yaml');
    writeFileSync(
      cfg,
      `import_filtering_opts:\n  allowed_ports: [80, ${port}]\n  allowed_hosts: [127.0.0.2]\n`,
    );
    const app = await startTestApp({ GLINT_AUTH: 'trusted' }, cfg);
    try {
      for (const [index, target] of targets.entries()) {
        const id = await queuedImage(app);
        await app.http
          .post(`/v2/images/${id}/import`)
          .set(USER)
          .send({ method: { name: 'web-download', uri: `http://127.0.0.2:${port}/${index}` } })
          .expect(202);
        const task = await waitFor(async () => {
          const res = await app.http.get(`/v2/images/${id}/tasks`).set(ADMIN).expect(200);
          return (res.body.tasks as Array<Record<string, unknown>>).find((x) => x.status === 'failure');
        });
        expect(task.message).toBe(`URI for web-download does not pass filtering: ${target}`);
        expect((await app.http.get(`/v2/images/${id}`).set(USER).expect(200)).body.status).toBe('queued');
      }
    } finally {
      await app.close();
      redirector.close();
    }
  });

  it('refuses loopback on a non-default port', async () => {
    const { id } = (
      await t.http
        .post('/v2/images')
        .set(USER)
        .send({ name: 'w', disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body as { id: string };
    const res = await t.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send({ method: { name: 'web-download', uri: 'http://127.0.0.1:8080/x' } });
    expect([res.status, errorText(res.body)]).toEqual([
      400,
      'URI for web-download does not pass filtering: http://127.0.0.1:8080/x',
    ]);
  });
});
