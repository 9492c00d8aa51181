import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { KeystoneApi, keystoneInstalled, startKeystone } from '../support/keystone/keystone.js';
import type { KeystoneServer } from '../support/keystone/keystone.js';

/**
 * glance-download with GLINT_AUTH=keystone and a real Keystone: no endpoint is configured, the
 * remote region is found in the caller's service catalog and the caller's token goes to it.
 * Skipped where Keystone is not installed, except in CI (as keystone.e2e-spec.ts).
 */
const runnable = keystoneInstalled() || process.env.CI === 'true';

describe.skipIf(!runnable)('glance-download through the Keystone catalog', () => {
  let ks: KeystoneServer;
  let source: TestApp;
  let target: TestApp;
  const run = Math.random().toString(36).slice(2, 8);
  const password = `pw-${run}-secret`;
  const tokens = { alice: '', carol: '' };
  const data = randomBytes(200 * 1024 + 1);

  beforeAll(async () => {
    ks = await startKeystone();
    const api = await KeystoneApi.asAdmin(ks.url, ks.adminPassword);
    const p = await api.project(`P-${run}`);
    const q = await api.project(`Q-${run}`);
    const s = await api.project(`S-${run}`);
    await api.grant(s, await api.user(`glint-${run}`, password), 'service');
    await api.grant(p, await api.user(`alice-${run}`, password), 'member');
    await api.grant(q, await api.user(`carol-${run}`, password), 'member');
    tokens.alice = (
      await KeystoneApi.issue(ks.url, { name: `alice-${run}`, password }, { project: { id: p } })
    ).id;
    tokens.carol = (
      await KeystoneApi.issue(ks.url, { name: `carol-${run}`, password }, { project: { id: q } })
    ).id;

    const dir = mkdtempSync(join(tmpdir(), 'glint-gdks-'));
    const config = (extra: Record<string, unknown>) => {
      const file = join(dir, `glint-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(
        file,
        stringify({
          keystone_authtoken: {
            auth_url: ks.url,
            www_authenticate_uri: ks.url,
            username: `glint-${run}`,
            password,
            user_domain_name: 'Default',
            project_name: `S-${run}`,
            project_domain_name: 'Default',
            http_request_max_retries: 0,
          },
          ...extra,
        }),
      );
      return file;
    };
    source = await startTestApp({ GLINT_AUTH: 'keystone' }, config({}));
    await source.app.listen(0, '127.0.0.1');
    const sourceUrl = `http://127.0.0.1:${(source.app.getHttpServer().address() as AddressInfo).port}`;
    // The source is the image service of RegionOne in the catalog.
    await api.registerImageEndpoint(sourceUrl);
    target = await startTestApp(
      { GLINT_AUTH: 'keystone' },
      config({ enabled_import_methods: ['glance-direct', 'glance-download'] }),
    );
  }, 300_000);

  afterAll(async () => {
    await target?.close();
    await source?.close();
    await ks?.destroy();
  });

  async function finished(id: string, token: string): Promise<Record<string, unknown>> {
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const tasks = (await target.http.get(`/v2/images/${id}/tasks`).set('X-Auth-Token', token).expect(200))
        .body.tasks;
      const done = tasks.find((x: { status: string }) => x.status === 'success' || x.status === 'failure');
      if (done) return done;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no finished task for image ${id}`);
  }

  async function importInto(token: string, method: Record<string, string>) {
    const local = (
      await target.http
        .post('/v2/images')
        .set('X-Auth-Token', token)
        .send({ name: 'local', disk_format: 'raw', container_format: 'bare' })
        .expect(201)
    ).body.id as string;
    await target.http
      .post(`/v2/images/${local}/import`)
      .set('X-Auth-Token', token)
      .send({ method: { name: 'glance-download', ...method } })
      .expect(202);
    const task = await finished(local, token);
    const image = (await target.http.get(`/v2/images/${local}`).set('X-Auth-Token', token).expect(200)).body;
    return { task, image };
  }

  it('finds the region in the caller catalog, on the interface asked for, and forwards the caller token', async () => {
    const remote = (
      await source.http
        .post('/v2/images')
        .set('X-Auth-Token', tokens.alice)
        .send({ name: 'remote', disk_format: 'raw', container_format: 'bare', os_distro: 'fedora' })
        .expect(201)
    ).body.id as string;
    await source.http
      .put(`/v2/images/${remote}/file`)
      .set('X-Auth-Token', tokens.alice)
      .set('Content-Type', 'application/octet-stream')
      .send(data)
      .expect(204);

    for (const iface of [undefined, 'internal']) {
      const { task, image } = await importInto(tokens.alice, {
        glance_image_id: remote,
        glance_region: 'regionone',
        ...(iface ? { glance_service_interface: iface } : {}),
      });
      expect(task.status, String(task.message)).toBe('success');
      expect(image).toMatchObject({
        status: 'active',
        size: data.length,
        checksum: createHash('md5').update(data).digest('hex'),
        os_distro: 'fedora',
      });
    }

    // The remote sees the caller: another project's member cannot read alice's private image.
    const denied = await importInto(tokens.carol, { glance_image_id: remote, glance_region: 'RegionOne' });
    expect([denied.task.status, denied.task.message]).toEqual(['failure', 'HTTP Error 404: Not Found']);
    expect(denied.image.status).toBe('queued');

    // A region the catalog does not have fails as Glance's lookup does.
    const lost = await importInto(tokens.alice, { glance_image_id: remote, glance_region: 'RegionTwo' });
    expect([lost.task.status, lost.task.message]).toEqual([
      'failure',
      'public glance endpoint not found for region RegionTwo',
    ]);
    expect(lost.image.status).toBe('queued');
  });
});
