import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as, recordNotifications } from '../support/images.js';
import { startLocalS3 } from '../support/s3-server.js';
import type { LocalS3 } from '../support/s3-server.js';
import { files } from '../support/files.js';

const JSON_ACCEPT = { Accept: 'application/json' };
const OCTET = 'application/octet-stream';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-data-cfg-')), 'glint.yaml');
  writeFileSync(path, yaml);
  return path;
}

async function createImage(t: TestApp, headers: Record<string, string> = JSON_ACCEPT, body: object = {}) {
  const res = await t.http
    .post('/v2/images')
    .set(headers)
    .send({ name: 'data', disk_format: 'raw', container_format: 'bare', ...body })
    .expect(201);
  return res.body as { id: string } & Record<string, unknown>;
}

/** Sends part of a body, then drops the connection, as a client that dies halfway. */
async function abortedUpload(t: TestApp, id: string, sent: Buffer, announced: number): Promise<void> {
  const server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: `/v2/images/${id}/file`,
      headers: { 'Content-Type': OCTET, 'Content-Length': String(announced) },
    });
    req.on('error', () => resolve());
    req.on('response', () => resolve());
    req.write(sent, () => setTimeout(() => req.destroy(), 200));
  });
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('image data on the default file store', () => {
  let t: TestApp;
  let storeDir: string;
  const data = Buffer.from('0123456789');

  beforeAll(async () => {
    t = await startTestApp();
    storeDir = join(t.dataDir, 'images');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uploads, hashes and serves the data, with Glance notifications in order', async () => {
    const image = await createImage(t);
    const sent = recordNotifications(t);
    await t.http.put(`/v2/images/${image.id}/file`).set('Content-Type', OCTET).send(data).expect(204);
    const shown = (await t.http.get(`/v2/images/${image.id}`).set(JSON_ACCEPT).expect(200)).body;
    expect(shown).toMatchObject({
      status: 'active',
      size: 10,
      virtual_size: 10,
      checksum: createHash('md5').update(data).digest('hex'),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(data).digest('hex'),
    });
    expect(shown.stores).toBeUndefined();
    expect(sent.map((n) => `${n.event_type}:${n.priority}`)).toEqual([
      'image.update:INFO',
      'image.prepare:INFO',
      'image.upload:INFO',
      'image.activate:INFO',
      'image.update:INFO',
    ]);
    expect((sent[0].payload as { status: string }).status).toBe('saving');
    expect((sent[4].payload as { status: string }).status).toBe('active');

    const got = await t.http.get(`/v2/images/${image.id}/file`).buffer(true).expect(200);
    expect(got.headers['content-type']).toBe(OCTET);
    expect(got.headers['content-md5']).toBe(shown.checksum);
    expect(Buffer.from(got.body as Buffer).equals(data)).toBe(true);
  });

  it('serves one range with 206 and the whole image md5, and refuses others as Glance', async () => {
    const image = await createImage(t);
    await t.http.put(`/v2/images/${image.id}/file`).set('Content-Type', OCTET).send(data).expect(204);
    const part = await t.http
      .get(`/v2/images/${image.id}/file`)
      .set('Range', 'bytes=2-4')
      .buffer(true)
      .expect(206);
    expect(part.headers['content-range']).toBe('bytes 2-4/10');
    expect(part.headers['content-md5']).toBe(createHash('md5').update(data).digest('hex'));
    expect(Buffer.from(part.body as Buffer).toString()).toBe('234');
    const tail = await t.http
      .get(`/v2/images/${image.id}/file`)
      .set('Range', 'bytes=-3')
      .buffer(true)
      .expect(206);
    expect(tail.headers['content-range']).toBe('bytes 7-9/10');
    const legacy = await t.http
      .get(`/v2/images/${image.id}/file`)
      .set('Content-Range', 'bytes 1-2/*')
      .buffer(true)
      .expect(206);
    expect(Buffer.from(legacy.body as Buffer).toString()).toBe('12');

    const multi = await t.http
      .get(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Range', 'bytes=1-2,4-5');
    expect(multi.status).toBe(400);
    expect(multi.body.message).toContain('Requests with multiple ranges are not supported in Glance.');
    const beyond = await t.http
      .get(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Range', 'bytes=20-30');
    expect(beyond.status).toBe(416);
    expect(beyond.body.message).toBe(
      'The Range requested is not available.<br /><br />\nInvalid start position in Range header. Start position MUST be in the inclusive range [0, 9].\n\n',
    );
    const garbage = await t.http.get(`/v2/images/${image.id}/file`).set(JSON_ACCEPT).set('Range', 'bytes=x');
    expect(garbage.status).toBe(416);
  });

  it('answers 204 for an image without data, and 404 for an unknown image', async () => {
    const image = await createImage(t);
    const res = await t.http.get(`/v2/images/${image.id}/file`).expect(204);
    expect(res.headers['content-type']).toBeUndefined();
    await t.http.get('/v2/images/00000000-0000-4000-8000-000000000000/file').expect(404);
  });

  it('refuses a wrong Content-Type with 415 and keeps the image queued', async () => {
    const image = await createImage(t);
    const res = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', 'application/json')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.message).toBe(
      'The request media type application/json is not supported by this server.\n<br /><br />\n',
    );
  });

  it('needs the formats before data (400), and allows one upload per image (409)', async () => {
    const bare = (await t.http.post('/v2/images').set(JSON_ACCEPT).send({}).expect(201)).body;
    const res = await t.http
      .put(`/v2/images/${bare.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .send(data);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(
      'Properties disk_format, container_format must be set prior to saving data.',
    );
    expect((await t.http.get(`/v2/images/${bare.id}`).expect(200)).body.status).toBe('queued');

    const image = await createImage(t);
    await t.http.put(`/v2/images/${image.id}/file`).set('Content-Type', OCTET).send(data).expect(204);
    const again = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .send(data);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('Image status transition from active to saving is not allowed');
  });

  it('refuses a size mismatch or a bad size header, leaving the image queued and the store clean', async () => {
    const before = files(storeDir).length;
    const image = await createImage(t);
    const sent = recordNotifications(t);
    const res = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .set('x-openstack-image-size', '5')
      .send(data);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('Size mismatch');
    const shown = (await t.http.get(`/v2/images/${image.id}`).expect(200)).body;
    expect(shown).toMatchObject({ status: 'queued', size: null, checksum: null });
    expect(files(storeDir).length).toBe(before);
    expect(sent.some((n) => n.event_type === 'image.upload' && n.priority === 'ERROR')).toBe(true);

    const bad = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .set('x-openstack-image-size', 'ten')
      .send(data);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('Invalid or missing image size in request headers.');
  });

  it('removes the bytes of a client that stops halfway and puts the image back to queued', async () => {
    const before = files(storeDir).length;
    const image = await createImage(t);
    const sent = recordNotifications(t);
    await abortedUpload(t, image.id, randomBytes(256 * 1024), 1024 * 1024);
    await waitFor(async () => (await t.http.get(`/v2/images/${image.id}`)).body.status === 'queued');
    // Worded as the Glance 25 peer words a client that left with 768 KiB still to send.
    await waitFor(() => Promise.resolve(sent.some((n) => n.priority === 'ERROR')));
    expect(sent.find((n) => n.priority === 'ERROR')?.payload).toBe(
      `Failed to upload image data for image ${image.id} due to internal error: ` +
        'The client disconnected while sending the body (786432 more bytes were expected)',
    );
    await waitFor(() => Promise.resolve(files(storeDir).length === before));
    const shown = (await t.http.get(`/v2/images/${image.id}`).expect(200)).body;
    expect(shown.size).toBeNull();
  });

  it('words a chunked upload cut short as Glance does, and keeps nothing of it', async () => {
    const before = files(storeDir).length;
    const image = await createImage(t);
    const sent = recordNotifications(t);
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const socket = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write(
      `PUT /v2/images/${image.id}/file HTTP/1.1\r\nHost: glint\r\nContent-Type: ${OCTET}\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n12c\r\n${'a'.repeat(300)}\r\n`,
    );
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await waitFor(() => Promise.resolve(sent.some((n) => n.priority === 'ERROR')));
    expect(sent.find((n) => n.priority === 'ERROR')?.payload).toBe(
      `Cannot save data for image ${image.id}: invalid literal for int() with base 16: b''`,
    );
    await waitFor(async () => (await t.http.get(`/v2/images/${image.id}`)).body.status === 'queued');
    await waitFor(() => Promise.resolve(files(storeDir).length === before));
  });

  it('deletes the data with the image', async () => {
    const before = files(storeDir).length;
    const image = await createImage(t);
    await t.http.put(`/v2/images/${image.id}/file`).set('Content-Type', OCTET).send(data).expect(204);
    expect(files(storeDir).length).toBe(before + 1);
    await t.http.delete(`/v2/images/${image.id}`).expect(204);
    expect(files(storeDir).length).toBe(before);
  });

  it('stages data for glance-direct: uploading, size set, no hashes, once only; delete removes it', async () => {
    const stagingDir = join(t.dataDir, 'staging');
    const before = files(stagingDir).length;
    const image = (await t.http.post('/v2/images').set(JSON_ACCEPT).send({ name: 'staged' }).expect(201))
      .body;
    await t.http.put(`/v2/images/${image.id}/stage`).set('Content-Type', OCTET).send(data).expect(204);
    const shown = (await t.http.get(`/v2/images/${image.id}`).expect(200)).body;
    expect(shown).toMatchObject({ status: 'uploading', size: 10, checksum: null, os_hash_value: null });
    expect(files(stagingDir).length).toBe(before + 1);
    await t.http.get(`/v2/images/${image.id}/file`).expect(204);
    const again = await t.http
      .put(`/v2/images/${image.id}/stage`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .send(data);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(
      'Image status transition from uploading to uploading is not allowed',
    );
    await t.http.delete(`/v2/images/${image.id}`).expect(204);
    expect(files(stagingDir).length).toBe(before);
  });

  it('says there is no multi-store here', async () => {
    const res = await t.http
      .delete('/v2/stores/default/00000000-0000-4000-8000-000000000000')
      .set(JSON_ACCEPT);
    expect(res.status).toBe(404);
  });
});

describe('image data rules by identity and configuration', () => {
  let t: TestApp;
  const data = Buffer.from('abcdef');

  beforeAll(async () => {
    t = await startTestApp(
      { GLINT_AUTH: 'trusted' },
      configFile('image_size_cap: 8\nenabled_import_methods: [web-download]\n'),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps deactivated data from non-admins, and reader-only callers from any download', async () => {
    const image = await createImage(t, as('p1'), { visibility: 'public' }).catch(async () =>
      createImage(t, as('p1')),
    );
    await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(as('p1'))
      .set('Content-Type', OCTET)
      .send(data)
      .expect(204);
    await t.http.get(`/v2/images/${image.id}/file`).set(as('p1', 'reader')).expect(403);
    await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(as('p1')).expect(204);
    const res = await t.http.get(`/v2/images/${image.id}/file`).set(as('p1'));
    expect(res.status).toBe(403);
    expect(res.body.message).toContain(
      'The requested image has been deactivated. Image data download is forbidden.',
    );
    await t.http.get(`/v2/images/${image.id}/file`).set(as('p9', 'admin,member,reader')).expect(200);
    await t.http.get(`/v2/images/${image.id}/file`).set(as('p2')).expect(404);
  });

  it('lets only the owner upload: other projects get 404, the owner reader 403', async () => {
    const image = await createImage(t, as('p1'));
    await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(as('p2'))
      .set('Content-Type', OCTET)
      .send(data)
      .expect(404);
    await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(as('p1', 'reader'))
      .set('Content-Type', OCTET)
      .send(data)
      .expect(403);
  });

  it('enforces image_size_cap with 413 and keeps nothing', async () => {
    const before = files(join(t.dataDir, 'images')).length;
    const image = await createImage(t, as('p1'));
    const res = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(as('p1'))
      .set('Content-Type', OCTET)
      .send(Buffer.alloc(20));
    expect(res.status).toBe(413);
    expect(res.body.message).toContain('The incoming image is too large');
    expect((await t.http.get(`/v2/images/${image.id}`).set(as('p1'))).body.status).toBe('queued');
    expect(files(join(t.dataDir, 'images')).length).toBe(before);
  });

  it('answers 404 for staging when glance-direct is not enabled', async () => {
    const image = await createImage(t, as('p1'));
    const res = await t.http
      .put(`/v2/images/${image.id}/stage`)
      .set(as('p1'))
      .set('Content-Type', OCTET)
      .send(data);
    expect(res.status).toBe(404);
    expect(res.body.message).toContain("'glance-direct' method is not available at this site.");
  });
});

describe('image data with several stores (file and S3)', () => {
  let t: TestApp;
  let s3: LocalS3;
  const data = randomBytes(64 * 1024);

  beforeAll(async () => {
    s3 = await startLocalS3();
    const dir = mkdtempSync(join(tmpdir(), 'glint-fast-'));
    t = await startTestApp(
      {},
      configFile(
        [
          'stores:',
          '  enabled_backends: {fast: file, cold: s3}',
          '  default_backend: fast',
          `  fast: {filesystem_store_datadir: ${dir}, weight: 10, store_description: local disk}`,
          `  cold: {s3_store_host: ${s3.endpoint}, s3_store_access_key: S3RVER, s3_store_secret_key: S3RVER,`,
          '         s3_store_bucket: images, s3_store_create_bucket_on_put: true, s3_store_bucket_url_format: path}',
          '',
        ].join('\n'),
      ),
    );
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('names the stores on create and writes to the one X-Image-Meta-Store picks', async () => {
    const created = await t.http
      .post('/v2/images')
      .set(JSON_ACCEPT)
      .send({ disk_format: 'raw', container_format: 'bare' })
      .expect(201);
    expect(created.headers['openstack-image-store-ids']).toBe('fast,cold');
    const id = created.body.id as string;
    await t.http
      .put(`/v2/images/${id}/file`)
      .set('Content-Type', OCTET)
      .set('X-Image-Meta-Store', 'cold')
      .send(data)
      .expect(204);
    const shown = (await t.http.get(`/v2/images/${id}`).expect(200)).body;
    expect(shown.stores).toBe('cold');
    expect(s3.files('images').some((f) => f.includes(id))).toBe(true);
    const got = await t.http.get(`/v2/images/${id}/file`).buffer(true).expect(200);
    expect(Buffer.from(got.body as Buffer).equals(data)).toBe(true);
    const part = await t.http
      .get(`/v2/images/${id}/file`)
      .set('Range', 'bytes=100-199')
      .buffer(true)
      .expect(206);
    expect(Buffer.from(part.body as Buffer).equals(data.subarray(100, 200))).toBe(true);

    const only = await t.http.delete(`/v2/stores/cold/${id}`).set(JSON_ACCEPT);
    expect(only.status).toBe(403);
    expect(only.body.message).toContain('Cannot delete image data from the only store containing it.');
    const unknown = await t.http.delete(`/v2/stores/nowhere/${id}`).set(JSON_ACCEPT);
    expect(unknown.status).toBe(409);
    expect(unknown.body.message).toContain('The selected store nowhere is not available on this node.');

    await t.http.delete(`/v2/images/${id}`).expect(204);
    expect(s3.files('images').some((f) => f.includes(id))).toBe(false);
  });

  it('refuses an unknown store with 400 and leaves the image queued', async () => {
    const image = await createImage(t);
    const res = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(JSON_ACCEPT)
      .set('Content-Type', OCTET)
      .set('X-Image-Meta-Store', 'nowhere')
      .send(data);
    expect(res.status).toBe(400);
    expect((await t.http.get(`/v2/images/${image.id}`)).body.status).toBe('queued');
  });

  it('puts the image back to queued when the S3 server goes away mid-upload', async () => {
    const other = await startLocalS3();
    const dir = mkdtempSync(join(tmpdir(), 'glint-fast2-'));
    const app = await startTestApp(
      {},
      configFile(
        [
          'stores:',
          '  enabled_backends: {fast: file, gone: s3}',
          '  default_backend: gone',
          `  fast: {filesystem_store_datadir: ${dir}}`,
          `  gone: {s3_store_host: ${other.endpoint}, s3_store_access_key: S3RVER, s3_store_secret_key: S3RVER,`,
          '         s3_store_bucket: images, s3_store_create_bucket_on_put: true, s3_store_bucket_url_format: path}',
          '',
        ].join('\n'),
      ),
    );
    try {
      const image = await createImage(app);
      await other.close();
      const res = await app.http
        .put(`/v2/images/${image.id}/file`)
        .set(JSON_ACCEPT)
        .set('Content-Type', OCTET)
        .send(randomBytes(6 * 1024 * 1024));
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect((await app.http.get(`/v2/images/${image.id}`)).body).toMatchObject({
        status: 'queued',
        size: null,
      });
    } finally {
      await app.close();
    }
  });
});

describe('GET /v2/images/{id}/tasks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("lists an image's tasks for whoever can see the image, and 404s otherwise", async () => {
    const image = await createImage(t, as('p1'));
    const res = await t.http.get(`/v2/images/${image.id}/tasks`).set(as('p1', 'reader')).expect(200);
    expect(res.body).toEqual({ tasks: [] });
    await t.http.get(`/v2/images/${image.id}/tasks`).set(as('p2')).expect(404);
  });
});

describe('idle client connections (client_socket_timeout)', () => {
  let t: TestApp;
  let port: number;
  let storeDir: string;

  beforeAll(async () => {
    t = await startTestApp({}, configFile('client_socket_timeout: 2\n'));
    const server = t.app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    storeDir = join(t.dataDir, 'images');
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A raw connection: what it received, and when it closed (ms after `since`). */
  function connect(): { socket: Socket; received: () => string; closed: Promise<number>; since: () => void } {
    const socket = createConnection(port, '127.0.0.1');
    let text = '';
    let start = Date.now();
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - start)));
    return { socket, received: () => text, closed, since: () => (start = Date.now()) };
  }

  function uploadHead(id: string, length: number): string {
    return (
      `PUT /v2/images/${id}/file HTTP/1.1\r\nHost: glint\r\nContent-Type: ${OCTET}\r\n` +
      `Content-Length: ${length}\r\n\r\n`
    );
  }

  it("sets Node's server limits as Glance bounds connections: idleness only, 900 s by default", async () => {
    const server = t.app.getHttpServer();
    expect([server.requestTimeout, server.timeout, server.keepAliveTimeout]).toEqual([0, 2000, 2000]);
    const defaults = await startTestApp();
    try {
      const d = defaults.app.getHttpServer();
      expect([d.requestTimeout, d.timeout, d.keepAliveTimeout]).toEqual([0, 900_000, 900_000]);
    } finally {
      await defaults.close();
    }
  });

  it('closes an upload that stalls; the image goes back to queued and nothing stays in the store', async () => {
    const before = files(storeDir).length;
    const image = await createImage(t);
    const c = connect();
    c.socket.write(uploadHead(image.id, 1024 * 1024));
    c.socket.write(randomBytes(64 * 1024));
    c.since();
    const closedAfter = await c.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(1900);
    expect(closedAfter).toBeLessThan(10_000);
    await waitFor(async () => (await t.http.get(`/v2/images/${image.id}`)).body.status === 'queued');
    await waitFor(() => Promise.resolve(files(storeDir).length === before));
  });

  it('lets a slow upload that keeps sending run past the idle timeout', async () => {
    const image = await createImage(t);
    const c = connect();
    const body = randomBytes(16 * 1024);
    c.socket.write(uploadHead(image.id, body.length));
    for (let i = 0; i < body.length; i += 1024) {
      await new Promise((r) => setTimeout(r, 250));
      c.socket.write(body.subarray(i, i + 1024));
    }
    await waitFor(() => Promise.resolve(c.received().includes('\r\n\r\n')));
    expect(c.received()).toMatch(/^HTTP\/1\.1 204 /);
    c.socket.destroy();
    const shown = (await t.http.get(`/v2/images/${image.id}`).expect(200)).body;
    expect(shown).toMatchObject({ status: 'active', size: body.length });
    expect(shown.checksum).toBe(createHash('md5').update(body).digest('hex'));
  });

  it('closes a kept-alive connection once it has been idle that long', async () => {
    const c = connect();
    c.socket.write('GET /versions HTTP/1.1\r\nHost: glint\r\n\r\n');
    await waitFor(() => Promise.resolve(/\r\n\r\n\{.*\}$/s.test(c.received())));
    c.since();
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    const closedAfter = await c.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(1900);
    expect(closedAfter).toBeLessThan(10_000);
  });
});

describe('Expect: 100-continue, answered as Glance answers it', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    const server = t.app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Sends the head of an upload that expects 100-continue; resolves with the first answer. */
  async function expectContinue(id: string, length: number): Promise<{ socket: Socket; first: string }> {
    const socket = createConnection(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `PUT /v2/images/${id}/file HTTP/1.1\r\nHost: glint\r\nContent-Type: ${OCTET}\r\n` +
        `Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    const first = await new Promise<string>((resolve) =>
      socket.once('data', (d: Buffer) => resolve(d.toString())),
    );
    return { socket, first };
  }

  it('says 100 Continue once the upload is accepted, then takes the body', async () => {
    const image = await createImage(t);
    const body = randomBytes(4096);
    const { socket, first } = await expectContinue(image.id, body.length);
    expect(first).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    let rest = '';
    socket.on('data', (d: Buffer) => (rest += d.toString()));
    socket.write(body);
    await waitFor(() => Promise.resolve(rest.includes('\r\n\r\n')));
    expect(rest).toMatch(/^HTTP\/1\.1 204 /);
    socket.destroy();
    expect((await t.http.get(`/v2/images/${image.id}`).expect(200)).body.status).toBe('active');
  });

  it('refuses at once, without 100 and closing the connection, so the body is never sent', async () => {
    const image = await createImage(t);
    await t.http.put(`/v2/images/${image.id}/file`).set('Content-Type', OCTET).send('0123').expect(204);
    const active = await expectContinue(image.id, 1024 * 1024);
    expect(active.first).toMatch(/^HTTP\/1\.1 409 /);
    expect(active.first).toMatch(/\r\nConnection: close\r\n/i);
    expect(active.first).toContain('Image status transition from active to saving is not allowed');
    await new Promise((r) => active.socket.once('close', r));

    const unknown = await expectContinue('00000000-0000-4000-8000-000000000000', 10);
    expect(unknown.first).toMatch(/^HTTP\/1\.1 404 /);
    unknown.socket.destroy();
  });
});

describe('image_size_cap and user_storage_quota as the Glance 25 peer reports them', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      { GLINT_AUTH: 'trusted' },
      configFile("image_size_cap: 1000\nuser_storage_quota: '1500'\n"),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  const put = (id: string, body: Buffer) =>
    t.http.put(`/v2/images/${id}/file`).set(as('pq')).set('Content-Type', OCTET).send(body);

  it('checks a declared size against the quota first, and notifies the reason alone', async () => {
    const sent = recordNotifications(t);
    await put((await createImage(t, as('pq'))).id, Buffer.alloc(900)).expect(204);

    const second = (await createImage(t, as('pq'))).id;
    const quota = await put(second, Buffer.alloc(900));
    expect(quota.status).toBe(413);
    expect(quota.text).toContain(
      'Image exceeds the storage quota: The size of the data 900 will exceed the limit. 600 bytes remaining.',
    );
    // Over both the cap and the quota: Glance meets the quota first.
    const third = (await createImage(t, as('pq'))).id;
    const both = await put(third, Buffer.alloc(1200));
    expect(both.status).toBe(413);
    expect(both.text).toContain('The size of the data 1200 will exceed the limit. 600 bytes remaining.');

    const failures = sent
      .filter((n) => n.event_type === 'image.upload' && n.priority === 'ERROR')
      .map((n) => n.payload);
    expect(failures).toEqual([
      `Failed to upload image data for image ${second} due to internal error: The size of the data 900 will exceed the limit. 600 bytes remaining.`,
      `Failed to upload image data for image ${third} due to internal error: The size of the data 1200 will exceed the limit. 600 bytes remaining.`,
    ]);
  });

  it('meets the cap while reading a body of unknown size, and notifies its reason alone', async () => {
    const other = as('pr');
    const id = (await createImage(t, other)).id;
    const sent = recordNotifications(t);
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const server = t.app.getHttpServer();
      const go = () => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          method: 'PUT',
          path: `/v2/images/${id}/file`,
          headers: { ...other, 'Content-Type': OCTET, 'Transfer-Encoding': 'chunked' },
        });
        req.on('error', reject);
        req.on('response', (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        });
        for (let i = 0; i < 3; i++) req.write(Buffer.alloc(600));
        req.end();
      };
      if (server.listening) go();
      else server.listen(0, '127.0.0.1', go);
    });
    expect(res.status).toBe(413);
    expect(res.text).toContain('The incoming image is too large: The provided image is too large.');
    const failure = sent.find((n) => n.event_type === 'image.upload' && n.priority === 'ERROR');
    expect(failure?.payload).toBe(
      `Failed to upload image data for image ${id} due to internal error: The provided image is too large.`,
    );
  });
});

describe('a file store whose disk fills up', () => {
  let t: TestApp | undefined;
  let dir: string;
  let mounted = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glint-full-'));
    // A 1 MiB tmpfs is a real full disk; mounting needs root (CI runs as root).
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
    if (!mounted) return;
    t = await startTestApp(
      {},
      configFile(
        `stores:\n  filesystem_store_datadir: ${dir}/images\n` +
          `  os_glance_staging_store: {filesystem_store_datadir: ${dir}/staging}\n`,
      ),
    );
  });
  afterAll(async () => {
    await t?.close();
    if (mounted) spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 413 as Glance, puts the image back to queued and leaves no partial file', async (test) => {
    if (!mounted || !t) return test.skip('mounting a tmpfs is not permitted here (needs root)');
    const image = await createImage(t, as('p1'));
    const sent = recordNotifications(t);
    const res = await t.http
      .put(`/v2/images/${image.id}/file`)
      .set(as('p1'))
      .set('Accept', 'application/json')
      .set('Content-Type', OCTET)
      .send(randomBytes(2 * 1024 * 1024));
    expect(res.status).toBe(413);
    // Glance names a full store in the notification's own words, not as an internal error.
    expect(sent.find((n) => n.event_type === 'image.upload')).toMatchObject({
      priority: 'ERROR',
      payload: 'Image storage media is full: There is not enough disk space on the image storage media.',
    });
    expect(res.body).toEqual({
      message:
        'Image storage media is full: There is not enough disk space on the image storage media.<br /><br />\n\n\n',
      code: '413 Request Entity Too Large',
      title: 'Request Entity Too Large',
    });
    const after = (await t.http.get(`/v2/images/${image.id}`).set(as('p1')).expect(200)).body;
    expect(after.status).toBe('queued');
    expect(after.size).toBeNull();
    expect(files(dir)).toEqual([]);

    // The space is free again: a small upload to the same store works.
    const small = await createImage(t, as('p1'));
    await t.http
      .put(`/v2/images/${small.id}/file`)
      .set(as('p1'))
      .set('Content-Type', OCTET)
      .send(Buffer.alloc(1000))
      .expect(204);
    expect(files(dir)).toEqual([small.id]);
  });

  it('fails an import into the full store: the image is queued again, nothing is left in the store or staging', async (test) => {
    if (!mounted || !t) return test.skip('mounting a tmpfs is not permitted here (needs root)');
    // Staging on the ordinary disk holds the data; only the store (the 1 MiB tmpfs) is full.
    const stagingDir = mkdtempSync(join(tmpdir(), 'glint-full-staging-'));
    const app = await startTestApp(
      {},
      configFile(
        `stores:\n  filesystem_store_datadir: ${dir}/import-target\n` +
          `  os_glance_staging_store: {filesystem_store_datadir: ${stagingDir}}\n`,
      ),
    );
    try {
      const image = await createImage(app, as('p1'));
      await app.http
        .put(`/v2/images/${image.id}/stage`)
        .set(as('p1'))
        .set('Content-Type', OCTET)
        .send(randomBytes(2 * 1024 * 1024))
        .expect(204);
      await app.http
        .post(`/v2/images/${image.id}/import`)
        .set(as('p1'))
        .send({ method: { name: 'glance-direct' } })
        .expect(202);
      let task: Record<string, unknown> | undefined;
      await waitFor(async () => {
        const res = await app.http.get(`/v2/images/${image.id}/tasks`).set(as('p1', 'admin,member,reader'));
        task = (res.body.tasks as Array<Record<string, unknown>>).find(
          (x) => x.status === 'success' || x.status === 'failure',
        );
        return task !== undefined;
      });
      expect(task?.status).toBe('failure');
      expect(String(task?.message)).toContain('Image storage media is full');
      const after = (await app.http.get(`/v2/images/${image.id}`).set(as('p1')).expect(200)).body;
      expect(after).toMatchObject({ status: 'queued', size: null });
      expect(after.os_glance_import_task).toBeUndefined();
      expect(files(join(dir, 'import-target'))).toEqual([]);
      expect(files(stagingDir)).toEqual([]);
    } finally {
      await app.close();
      rmSync(stagingDir, { recursive: true, force: true });
    }
  });

  it('answers the same 413 when staging fills up, and unstages', async (test) => {
    if (!mounted || !t) return test.skip('mounting a tmpfs is not permitted here (needs root)');
    const image = await createImage(t, as('p1'));
    const res = await t.http
      .put(`/v2/images/${image.id}/stage`)
      .set(as('p1'))
      .set('Accept', 'application/json')
      .set('Content-Type', OCTET)
      .send(randomBytes(2 * 1024 * 1024));
    expect(res.status).toBe(413);
    expect(res.body.message).toContain('Image storage media is full');
    const after = (await t.http.get(`/v2/images/${image.id}`).set(as('p1')).expect(200)).body;
    expect(after.status).toBe('queued');
    expect(files(join(dir, 'staging'))).toEqual([]);
  });
});
