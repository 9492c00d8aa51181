import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as, bytes } from '../support/images.js';
import { files, waitFor } from '../support/files.js';

const OCTET = 'application/octet-stream';
const MiB = 1024 * 1024;

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** A raw disk with recognisable content in its first MiB and zeros after it. */
function rawDisk(size: number): Buffer {
  const disk = Buffer.alloc(size);
  randomBytes(MiB).copy(disk);
  return disk;
}

function qemuImg(...args: string[]): void {
  execFileSync('qemu-img', args, { stdio: 'ignore' });
}

/** An import driver bound to one app. */
function importer(t: TestApp) {
  const admin = as('ops', 'admin,member,reader');
  const api = {
    async image(who: Record<string, string>, body: object) {
      return (await t.http.post('/v2/images').set(who).send(body).expect(201)).body as { id: string };
    },
    async stage(who: Record<string, string>, id: string, data: Buffer) {
      await t.http.put(`/v2/images/${id}/stage`).set(who).set('Content-Type', OCTET).send(data).expect(204);
    },
    async start(
      who: Record<string, string>,
      id: string,
      body: object = { method: { name: 'glance-direct' } },
    ) {
      await t.http.post(`/v2/images/${id}/import`).set(who).send(body).expect(202);
    },
    async finished(id: string) {
      return waitFor(async () => {
        const tasks = (await t.http.get(`/v2/images/${id}/tasks`).set(admin).expect(200)).body.tasks as Array<
          Record<string, unknown>
        >;
        return tasks.find((x) => x.status === 'success' || x.status === 'failure');
      });
    },
    async show(who: Record<string, string>, id: string) {
      return (await t.http.get(`/v2/images/${id}`).set(who).expect(200)).body as Record<string, unknown>;
    },
    async download(who: Record<string, string>, id: string): Promise<Buffer> {
      const res = await t.http.get(`/v2/images/${id}/file`).set(who).buffer(true).parse(bytes).expect(200);
      return res.body as Buffer;
    },
  };
  return api;
}

describe('import plugins: decompression, conversion with qemu-img, metadata injection, quota', () => {
  let t: TestApp;
  let api: ReturnType<typeof importer>;
  let fast: string;
  let cold: string;
  let work: string;
  let server: Server;
  let port: number;
  const served = new Map<string, Buffer>();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'glint-plug-'));
    fast = mkdtempSync(join(tmpdir(), 'glint-plug-fast-'));
    cold = mkdtempSync(join(tmpdir(), 'glint-plug-cold-'));
    server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (body) res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const cfg = join(work, 'glint.yaml');
    writeFileSync(
      cfg,
      [
        "user_storage_quota: '6MB'",
        'stores:',
        '  enabled_backends: {fast: file, cold: file}',
        '  default_backend: fast',
        `  fast: {filesystem_store_datadir: ${fast}}`,
        `  cold: {filesystem_store_datadir: ${cold}}`,
        'import_filtering_opts:',
        `  allowed_ports: [${port}]`,
        '  allowed_hosts: [127.0.0.1]',
        'image_import_opts:',
        '  image_import_plugins: [image_decompression, image_conversion, inject_image_metadata]',
        'image_conversion: {output_format: raw}',
        'inject_metadata_properties:',
        '  ignore_user_roles: [admin]',
        "  inject: {hw_injected: 'yes', os_glance_sneaky: 'no'}",
        '',
      ].join('\n'),
    );
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, cfg);
    api = importer(t);
  });
  afterAll(async () => {
    await t?.close();
    server?.close();
  });

  const staging = () => join(t.dataDir, 'staging');

  it('gzip: staged gzip data is stored decompressed; a member gets the injected properties', async () => {
    const who = as('p-gzip');
    const data = rawDisk(2 * MiB);
    const { id } = await api.image(who, { name: 'gz', disk_format: 'raw', container_format: 'bare' });
    await api.stage(who, id, gzipSync(data));
    await api.start(who, id);
    const task = await api.finished(id);
    expect([task.status, task.message]).toEqual(['success', expect.any(String)]);
    const img = await api.show(who, id);
    expect(img).toMatchObject({
      status: 'active',
      size: data.length,
      virtual_size: data.length,
      checksum: md5(data),
      disk_format: 'raw',
      hw_injected: 'yes',
    });
    expect(img.os_glance_sneaky).toBeUndefined();
    expect(Buffer.compare(await api.download(who, id), data)).toBe(0);
    expect(files(staging())).toEqual([]);
  });

  it('inject_image_metadata: a caller with an ignored role gets nothing injected', async () => {
    const admin = as('p-admin', 'admin,member,reader');
    const data = randomBytes(64 * 1024);
    const { id } = await api.image(admin, { name: 'adm', disk_format: 'raw', container_format: 'bare' });
    await api.stage(admin, id, data);
    await api.start(admin, id);
    expect((await api.finished(id)).status).toBe('success');
    const img = await api.show(admin, id);
    expect(img.status).toBe('active');
    expect(img.hw_injected).toBeUndefined();
  });

  it('zip (web-download): a single-member archive made by zip(1) is stored extracted', async () => {
    const who = as('p-zip');
    const data = rawDisk(3 * MiB);
    writeFileSync(join(work, 'disk.raw'), data);
    execFileSync('zip', ['-q', '-j', join(work, 'one.zip'), join(work, 'disk.raw')]);
    served.set('/one.zip', readFileSync(join(work, 'one.zip')));
    const { id } = await api.image(who, { name: 'zip', disk_format: 'raw', container_format: 'bare' });
    await api.start(who, id, { method: { name: 'web-download', uri: `http://127.0.0.1:${port}/one.zip` } });
    expect((await api.finished(id)).status).toBe('success');
    const img = await api.show(who, id);
    expect(img).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
    expect(Buffer.compare(await api.download(who, id), data)).toBe(0);
    expect(files(staging())).toEqual([]);
  });

  it('zip with two members fails the task and reverts everything', async () => {
    const who = as('p-zip2');
    writeFileSync(join(work, 'a.raw'), randomBytes(1000));
    writeFileSync(join(work, 'b.raw'), randomBytes(1000));
    execFileSync('zip', ['-q', '-j', join(work, 'two.zip'), join(work, 'a.raw'), join(work, 'b.raw')]);
    const { id } = await api.image(who, { name: 'zip2', disk_format: 'raw', container_format: 'bare' });
    await api.stage(who, id, readFileSync(join(work, 'two.zip')));
    await api.start(who, id, { method: { name: 'glance-direct' }, stores: ['fast', 'cold'] });
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe('Image decompression failed: Archive contains more than one file (2).');
    const img = await api.show(who, id);
    expect(img.status).toBe('queued');
    expect(img.os_glance_failed_import).toBe('fast,cold');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.os_glance_import_task).toBeUndefined();
    expect(img.hw_injected).toBeUndefined();
    expect(files(staging())).toEqual([]);
    expect(files(fast)).not.toContain(id);
    expect(files(cold)).not.toContain(id);
  });

  it('a corrupt gzip fails the task clearly and reverts', async () => {
    const who = as('p-badgz');
    const gz = gzipSync(randomBytes(256 * 1024));
    randomBytes(4096).copy(gz, 100); // past the header: the deflate stream is garbage
    const { id } = await api.image(who, { name: 'badgz', disk_format: 'raw', container_format: 'bare' });
    await api.stage(who, id, gz);
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toMatch(/^Image decompression failed: /);
    const img = await api.show(who, id);
    expect([img.status, img.os_glance_failed_import]).toEqual(['queued', 'fast']);
    expect(files(staging())).toEqual([]);
    expect(files(fast)).not.toContain(id);
  });

  it('qcow2 (gzipped) is decompressed, then converted to raw by qemu-img', async () => {
    const who = as('p-qcow');
    const raw = rawDisk(4 * MiB);
    writeFileSync(join(work, 'conv.raw'), raw);
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', join(work, 'conv.raw'), join(work, 'conv.qcow2'));
    const qcow = readFileSync(join(work, 'conv.qcow2'));
    expect(qcow.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    const { id } = await api.image(who, { name: 'q', disk_format: 'qcow2', container_format: 'bare' });
    await api.stage(who, id, gzipSync(qcow));
    await api.start(who, id);
    const task = await api.finished(id);
    expect([task.status, task.message]).toEqual(['success', expect.any(String)]);
    const img = await api.show(who, id);
    expect(img).toMatchObject({
      status: 'active',
      disk_format: 'raw',
      container_format: 'bare',
      size: raw.length,
      virtual_size: raw.length,
      checksum: md5(raw),
      os_hash_value: createHash('sha512').update(raw).digest('hex'),
    });
    // The stored bytes are the raw disk, not qcow2.
    expect(md5(readFileSync(join(fast, id)))).toBe(md5(raw));
    expect(files(staging())).toEqual([]);
  });

  it('refuses to convert a qcow2 with a backing file; the image keeps its formats', async () => {
    const who = as('p-backing');
    writeFileSync(join(work, 'base.raw'), Buffer.alloc(MiB));
    qemuImg(
      'create',
      '-f',
      'qcow2',
      '-b',
      join(work, 'base.raw'),
      '-F',
      'raw',
      join(work, 'over.qcow2'),
      '1M',
    );
    const { id } = await api.image(who, { name: 'b', disk_format: 'qcow2', container_format: 'bare' });
    await api.stage(who, id, readFileSync(join(work, 'over.qcow2')));
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe(
      'Image conversion failed: Image has disallowed configuration (qcow2 image has a backing file)',
    );
    const img = await api.show(who, id);
    expect(img).toMatchObject({ status: 'queued', disk_format: 'qcow2', os_glance_failed_import: 'fast' });
    expect(files(staging())).toEqual([]);
  });

  it("a 'compressed' container stays compressed", async () => {
    const who = as('p-keepgz');
    const gz = gzipSync(randomBytes(100_000));
    const { id } = await api.image(who, { name: 'keep', disk_format: 'raw', container_format: 'compressed' });
    await api.stage(who, id, gz);
    await api.start(who, id);
    expect((await api.finished(id)).status).toBe('success');
    const img = await api.show(who, id);
    expect(img).toMatchObject({ status: 'active', size: gz.length, checksum: md5(gz) });
  });

  it('refuses to convert data that is not its declared disk_format', async () => {
    const who = as('p-mismatch');
    const { id } = await api.image(who, { name: 'm', disk_format: 'qcow2', container_format: 'bare' });
    await api.stage(who, id, randomBytes(100_000));
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe(
      'Image conversion failed: Image format mismatch: disk_format is qcow2, the data is raw',
    );
    expect((await api.show(who, id)).status).toBe('queued');
  });

  it('user_storage_quota during import: exceeded on the second store, the first copy is removed', async () => {
    const who = as('p-quota');
    const first = randomBytes(MiB);
    const { id: existing } = await api.image(who, {
      name: 'x',
      disk_format: 'raw',
      container_format: 'bare',
    });
    await t.http
      .put(`/v2/images/${existing}/file`)
      .set(who)
      .set('Content-Type', OCTET)
      .send(first)
      .expect(204);
    // 1 MiB used of 6 MiB: 3 MiB fits in the first store, not again in the second.
    const data = randomBytes(3 * MiB);
    const { id } = await api.image(who, { name: 'q', disk_format: 'raw', container_format: 'bare' });
    await api.stage(who, id, data);
    await api.start(who, id, { method: { name: 'glance-direct' }, stores: ['fast', 'cold'] });
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toMatch(
      /^Image exceeds the storage quota: The size of the data \d+ will exceed the limit. 2097152 bytes remaining.$/,
    );
    const img = await api.show(who, id);
    // cold failed first; fast was written, then taken back.
    expect(img).toMatchObject({ status: 'queued', size: null, os_glance_failed_import: 'cold,fast' });
    expect(img.hw_injected).toBeUndefined(); // injected, then put back with the rest
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(fast)).not.toContain(id);
    expect(files(cold)).not.toContain(id);
    expect(files(staging())).toEqual([]);
  });

  it('user_storage_quota counts the converted size: a qcow2 whose raw form is too big reverts to qcow2', async () => {
    const who = as('p-quota-conv');
    const raw = rawDisk(8 * MiB);
    writeFileSync(join(work, 'big.raw'), raw);
    qemuImg('convert', '-f', 'raw', '-O', 'qcow2', join(work, 'big.raw'), join(work, 'big.qcow2'));
    const { id } = await api.image(who, { name: 'big', disk_format: 'qcow2', container_format: 'bare' });
    await api.stage(who, id, readFileSync(join(work, 'big.qcow2')));
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toMatch(/^Image exceeds the storage quota/);
    const img = await api.show(who, id);
    expect(img).toMatchObject({
      status: 'queued',
      disk_format: 'qcow2',
      container_format: 'bare',
      os_glance_failed_import: 'fast',
    });
    expect(files(fast)).not.toContain(id);
    expect(files(staging())).toEqual([]);
  });
});

describe('import plugins: qemu-img missing, image_size_cap on decompressed data', () => {
  let t: TestApp;
  let api: ReturnType<typeof importer>;

  beforeAll(async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'glint-plug2-')), 'glint.yaml');
    writeFileSync(
      cfg,
      [
        'image_size_cap: 4194304',
        'image_import_opts:',
        '  image_import_plugins: [image_decompression, image_conversion]',
        '',
      ].join('\n'),
    );
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_QEMU_IMG: '/nonexistent/bin/qemu-img' }, cfg);
    api = importer(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('without qemu-img the task fails with a clear message and the image reverts', async () => {
    const who = as('p1');
    const work = mkdtempSync(join(tmpdir(), 'glint-plug2-q-'));
    qemuImg('create', '-f', 'qcow2', join(work, 'empty.qcow2'), '1M');
    const { id } = await api.image(who, { name: 'noq', disk_format: 'qcow2', container_format: 'bare' });
    await api.stage(who, id, readFileSync(join(work, 'empty.qcow2')));
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe(
      'Image conversion failed: qemu-img is not available (/nonexistent/bin/qemu-img: ENOENT). Install qemu-img (Debian package qemu-utils) or set GLINT_QEMU_IMG to its path.',
    );
    const img = await api.show(who, id);
    expect(img).toMatchObject({ status: 'queued', disk_format: 'qcow2', os_glance_failed_import: 'default' });
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(join(t.dataDir, 'images'))).toEqual([]);
    expect(files(join(t.dataDir, 'staging'))).toEqual([]);
  });

  it('a gzip bomb stops at image_size_cap while decompressing', async () => {
    const who = as('p1');
    const bomb = gzipSync(Buffer.alloc(16 * MiB));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { id } = await api.image(who, { name: 'bomb', disk_format: 'raw', container_format: 'bare' });
    await api.stage(who, id, bomb);
    await api.start(who, id);
    const task = await api.finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe('Image decompression failed: The incoming image is too large');
    expect((await api.show(who, id)).status).toBe('queued');
    expect(files(join(t.dataDir, 'staging'))).toEqual([]);
  });
});
