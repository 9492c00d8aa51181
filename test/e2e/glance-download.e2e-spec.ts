import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as, errorText, PATCH_TYPE, bytes } from '../support/images.js';
import { files } from '../support/files.js';
import { DataSource } from 'typeorm';
import { JOB_SCHEMA } from '../../src/tasks/executor/job-queue.js';

const OCTET = 'application/octet-stream';
const USER = as('p1');
const ADMIN = as('p1', 'admin,member,reader');
const OTHER = as('p2');
/** The real Glance 25 of /work/shared/peers/glance (trusted identity headers), when it runs. */
const PEER = process.env.GLINT_GLANCE_PEER_URL ?? 'http://127.0.0.1:9393';

/**
 * Two Glint processes' worth of apps on one machine: `source` serves the Image API on a real port
 * as region RegionTwo; `target` imports from it with glance-download.
 */
describe('glance-download between two Glint apps', () => {
  let source: TestApp;
  let target: TestApp;
  let sourceUrl: string;
  let staging: string;
  const data = randomBytes(300 * 1024 + 7);

  beforeAll(async () => {
    source = await startTestApp({ GLINT_AUTH: 'trusted' });
    await source.app.listen(0, '127.0.0.1');
    sourceUrl = `http://127.0.0.1:${(source.app.getHttpServer().address() as AddressInfo).port}`;
    staging = mkdtempSync(join(tmpdir(), 'glint-gd-staging-'));
    const cfg = join(mkdtempSync(join(tmpdir(), 'glint-gd-cfg-')), 'glint.yaml');
    writeFileSync(
      cfg,
      'enabled_import_methods: [glance-direct, web-download, copy-image, glance-download]\n' +
        "glance_download_properties: {extra_properties: ['hw_', 'os_distro', 'trait:']}\n",
    );
    target = await startTestApp(
      {
        GLINT_AUTH: 'trusted',
        GLINT_STAGING_DIR: staging,
        GLINT_GLANCE_DOWNLOAD_ENDPOINTS: `RegionTwo=${sourceUrl}/,GlancePeer=${PEER}`,
      },
      cfg,
    );
  });
  afterAll(async () => {
    await target?.close();
    await source?.close();
  });

  async function remoteImage(upload: boolean, headers = USER): Promise<Record<string, string>> {
    const img = (
      await source.http
        .post('/v2/images')
        .set(headers)
        .send({
          name: 'remote',
          disk_format: 'raw',
          container_format: 'bare',
          hw_disk_bus: 'scsi',
          os_distro: 'debian',
          'trait:CUSTOM_X': 'required',
          os_type: 'linux',
          unrelated: 'kept-remote',
        })
        .expect(201)
    ).body;
    if (upload)
      await source.http
        .put(`/v2/images/${img.id}/file`)
        .set(headers)
        .set('Content-Type', OCTET)
        .send(data)
        .expect(204);
    return (await source.http.get(`/v2/images/${img.id}`).set(headers).expect(200)).body;
  }

  async function localImage(): Promise<string> {
    const img = (
      await target.http
        .post('/v2/images')
        .set(USER)
        .send({ name: 'local', disk_format: 'qcow2', container_format: 'ovf', os_distro: 'before' })
        .expect(201)
    ).body;
    return img.id as string;
  }

  async function finished(id: string): Promise<Record<string, unknown>> {
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const tasks = (await target.http.get(`/v2/images/${id}/tasks`).set(ADMIN).expect(200)).body.tasks;
      const done = tasks.find((x: { status: string }) => x.status === 'success' || x.status === 'failure');
      if (done) return done;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no finished task for image ${id}`);
  }

  /**
   * The job of an import task, as the job table keeps it (for a day): the forwarded credentials
   * must be gone from it once the task has ended. Polled, since the task's status is written first.
   */
  async function jobWithoutSecrets(taskId: string): Promise<Record<string, unknown>> {
    const db = target.backend.get(DataSource);
    const until = Date.now() + 10_000;
    let data: Record<string, unknown> | undefined;
    while (Date.now() < until) {
      const rows: Array<{ data: Record<string, unknown> }> = await db.query(
        `SELECT data FROM ${JOB_SCHEMA}.job WHERE id = $1`,
        [taskId],
      );
      expect(rows).toHaveLength(1);
      data = rows[0].data;
      if (!('secrets' in data)) return data;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the job of task ${taskId} still holds credentials: ${JSON.stringify(data)}`);
  }

  function importBody(remoteId: string, region = 'RegionTwo'): object {
    return { method: { name: 'glance-download', glance_image_id: remoteId, glance_region: region } };
  }

  it('is advertised by GET /v2/info/import and the OpenStack-image-import-methods header', async () => {
    const info = await target.http.get('/v2/info/import').set(USER).expect(200);
    expect(info.body['import-methods'].value).toContain('glance-download');
    const source_ = await source.http.get('/v2/info/import').set(USER).expect(200);
    expect(source_.body['import-methods'].value).not.toContain('glance-download');
  });

  it('validates the method with Glance messages, after the status and format checks', async () => {
    const id = await localImage();
    const post = (method: object) =>
      target.http
        .post(`/v2/images/${id}/import`)
        .set(USER)
        .send({ method: { name: 'glance-download', ...method } });
    let res = await post({ glance_image_id: randomUUID() });
    expect([res.status, errorText(res.body)]).toEqual([
      400,
      "'glance_region' needs to be set for glance-download import method",
    ]);
    res = await post({ glance_region: 'RegionTwo' });
    expect([res.status, errorText(res.body)]).toEqual([
      400,
      "'glance_image_id' needs to be set for glance-download import method",
    ]);
    res = await post({ glance_region: 'RegionTwo', glance_image_id: 'not-a-uuid' });
    expect([res.status, errorText(res.body)]).toEqual([
      400,
      'Remote image id does not look like a UUID: not-a-uuid',
    ]);
    // A non-queued image is refused first, whatever the method's fields.
    const staged = await localImage();
    await target.http
      .patch(`/v2/images/${staged}`)
      .set(USER)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'replace', path: '/disk_format', value: 'raw' }]))
      .expect(200);
    await target.http
      .put(`/v2/images/${staged}/stage`)
      .set(USER)
      .set('Content-Type', OCTET)
      .send(data)
      .expect(204);
    res = await target.http
      .post(`/v2/images/${staged}/import`)
      .set(USER)
      .send({ method: { name: 'glance-download' } });
    expect([res.status, errorText(res.body)]).toEqual([
      409,
      "Image needs to be in 'queued' state to use 'glance-download' method",
    ]);
    await target.http.delete(`/v2/images/${staged}`).set(USER).expect(204);
    expect(files(staging)).toEqual([]);
  });

  it('imports data and metadata: same bytes and checksums, remote formats, the configured properties only', async () => {
    const remote = await remoteImage(true);
    const id = await localImage();
    await target.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send(importBody(remote.id, 'regiontwo'))
      .expect(202);
    const task = await finished(id);
    expect(task.status).toBe('success');
    // The interface Glance fills in is kept in the task's input; no credential is.
    expect(task.input).toMatchObject({
      import_req: {
        method: { name: 'glance-download', glance_region: 'regiontwo', glance_service_interface: 'public' },
      },
    });
    expect(JSON.stringify(task)).not.toContain('X-Identity-Status');
    expect(await jobWithoutSecrets(task.id as string)).toEqual({ taskId: task.id });

    const img = (await target.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      os_hash_value: remote.os_hash_value,
      disk_format: 'raw',
      container_format: 'bare',
      hw_disk_bus: 'scsi',
      os_distro: 'debian',
      'trait:CUSTOM_X': 'required',
    });
    expect(img.checksum).toBe(remote.checksum);
    // os_type is in Glance's default list but not in this site's; unrelated is in neither.
    expect(img.os_type).toBeUndefined();
    expect(img.unrelated).toBeUndefined();
    expect(img.os_glance_import_task).toBeUndefined();
    expect(files(staging)).toEqual([]);

    const dl = await target.http.get(`/v2/images/${id}/file`).set(USER).buffer(true).parse(bytes);
    expect(Buffer.compare(dl.body as Buffer, data)).toBe(0);
  });

  async function expectReverted(id: string, message: string): Promise<void> {
    const task = await finished(id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe(message);
    expect(await jobWithoutSecrets(task.id as string)).toEqual({ taskId: task.id });
    const img = (await target.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
    expect(img).toMatchObject({
      status: 'queued',
      disk_format: 'qcow2',
      container_format: 'ovf',
      os_distro: 'before',
    });
    expect(img.size).toBeNull();
    expect(img.hw_disk_bus).toBeUndefined();
    expect(img.os_glance_import_task).toBeUndefined();
    expect(img.os_glance_failed_import).toBe('default');
    expect(files(staging)).toEqual([]);
  }

  it('a remote image that is not active fails the task and puts the image back as it was', async () => {
    const remote = await remoteImage(false);
    const id = await localImage();
    await target.http.post(`/v2/images/${id}/import`).set(USER).send(importBody(remote.id)).expect(202);
    await expectReverted(id, 'Source image status should be active instead of queued');
  });

  it('a remote image that is missing, or not visible to the caller, fails the task and reverts', async () => {
    const id = await localImage();
    await target.http.post(`/v2/images/${id}/import`).set(USER).send(importBody(randomUUID())).expect(202);
    await expectReverted(id, 'HTTP Error 404: Not Found');

    // The caller's identity travels to the remote: another project's private image is not found.
    const hidden = await remoteImage(true, OTHER);
    const again = await localImage();
    await target.http.post(`/v2/images/${again}/import`).set(USER).send(importBody(hidden.id)).expect(202);
    await expectReverted(again, 'HTTP Error 404: Not Found');
  });

  it('an unknown region is accepted (202, as Glance) and fails the task with Glance message', async () => {
    const remote = await remoteImage(true);
    const id = await localImage();
    await target.http
      .post(`/v2/images/${id}/import`)
      .set(USER)
      .send(importBody(remote.id, 'Nowhere'))
      .expect(202);
    await expectReverted(id, 'public glance endpoint not found for region Nowhere');
  });

  it('imports from a real Glance (the peer), forwarding the caller identity headers', async (ctx) => {
    const up = await fetch(`${PEER}/versions`).then(
      (r) => r.ok,
      () => false,
    );
    if (!up) ctx.skip();
    const peerHeaders = { ...USER, 'X-User-Id': 'user-p1', 'Content-Type': 'application/json' };
    const created = await fetch(`${PEER}/v2/images`, {
      method: 'POST',
      headers: peerHeaders,
      body: JSON.stringify({
        name: 'from-glance',
        disk_format: 'raw',
        container_format: 'bare',
        hw_rng_model: 'virtio',
        os_secure_boot: 'required',
      }),
    });
    expect(created.status).toBe(201);
    const remoteId = ((await created.json()) as { id: string }).id;
    try {
      const put = await fetch(`${PEER}/v2/images/${remoteId}/file`, {
        method: 'PUT',
        headers: { ...peerHeaders, 'Content-Type': OCTET },
        body: new Uint8Array(data),
      });
      expect(put.status).toBe(204);
      const remote = (await (
        await fetch(`${PEER}/v2/images/${remoteId}`, { headers: peerHeaders })
      ).json()) as Record<string, unknown>;
      expect(remote.status).toBe('active');

      const id = await localImage();
      await target.http
        .post(`/v2/images/${id}/import`)
        .set(USER)
        .send(importBody(remoteId, 'GlancePeer'))
        .expect(202);
      const task = await finished(id);
      expect(task.status, String(task.message)).toBe('success');
      const img = (await target.http.get(`/v2/images/${id}`).set(USER).expect(200)).body;
      expect(img).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: remote.checksum,
        os_hash_value: remote.os_hash_value,
        disk_format: 'raw',
        container_format: 'bare',
        hw_rng_model: 'virtio',
      });
      // Not in this site's extra_properties (it is in Glance's default list).
      expect(img.os_secure_boot).toBeUndefined();
    } finally {
      await fetch(`${PEER}/v2/images/${remoteId}`, { method: 'DELETE', headers: peerHeaders });
    }
  });
});
