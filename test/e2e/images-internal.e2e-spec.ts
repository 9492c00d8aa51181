import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as, errorText, recordNotifications } from '../support/images.js';
import { ImagesService, InvalidTransitionError } from '../../src/images/images.service.js';
import { ConflictError, InvalidError } from '../../src/common/errors/domain-errors.js';

describe('ImagesService for other features', () => {
  let t: TestApp;
  let images: ImagesService;
  const owner = as('p1');
  const member = as('p2');
  const stranger = as('p3');

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    images = t.app.get(ImagesService);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function create(body: Record<string, unknown> = {}) {
    return (await t.http.post('/v2/images').set(owner).send(body).expect(201)).body as { id: string };
  }

  it('moves status by compare-and-set, refusing a lost race with 409 and bad transitions', async () => {
    const sent = recordNotifications(t);
    const image = await create({ disk_format: 'raw', container_format: 'bare' });
    const saving = await images.transitionStatus(image.id, 'queued', 'saving');
    expect(saving.status).toBe('saving');
    await expect(images.transitionStatus(image.id, 'queued', 'saving')).rejects.toThrow(
      new ConflictError('cannot transition from saving to saving in update (wanted from_state=queued)'),
    );
    await expect(images.transitionStatus(image.id, 'saving', 'uploading')).rejects.toBeInstanceOf(
      InvalidTransitionError,
    );
    const active = await images.transitionStatus(image.id, 'saving', 'active', {
      size: 10,
      checksum: 'a'.repeat(32),
      osHashAlgo: 'sha512',
      osHashValue: 'b'.repeat(128),
    });
    expect(active).toMatchObject({ status: 'active', size: 10, osHashAlgo: 'sha512' });
    const shown = (await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200)).body;
    expect(shown).toMatchObject({
      status: 'active',
      size: 10,
      checksum: 'a'.repeat(32),
      os_hash_value: 'b'.repeat(128),
    });
    expect(
      sent
        .filter((n) => n.event_type === 'image.update')
        .map((n) => (n.payload as { status: string }).status),
    ).toEqual(['saving', 'active']);
  });

  it('needs both formats before data states', async () => {
    const image = await create();
    await expect(images.transitionStatus(image.id, 'queued', 'saving')).rejects.toThrow(
      new InvalidError('Properties disk_format, container_format must be set prior to saving data.'),
    );
  });

  it('deactivates and reactivates an active image, with no-ops in the target state', async () => {
    const image = await create({ disk_format: 'raw', container_format: 'bare' });
    await images.transitionStatus(image.id, 'queued', 'active');
    await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(owner).expect(204);
    await t.http.post(`/v2/images/${image.id}/actions/deactivate`).set(owner).expect(204);
    expect((await t.http.get(`/v2/images/${image.id}`).set(owner)).body.status).toBe('deactivated');
    const formats = await t.http
      .patch(`/v2/images/${image.id}`)
      .set(owner)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'replace', path: '/disk_format', value: 'qcow2' }]))
      .expect(403);
    expect(errorText(formats.body)).toBe('Attribute disk_format can be only replaced for a queued image.');
    await t.http.post(`/v2/images/${image.id}/actions/reactivate`).set(owner).expect(204);
    await t.http.post(`/v2/images/${image.id}/actions/reactivate`).set(owner).expect(204);
    expect((await t.http.get(`/v2/images/${image.id}`).set(owner)).body.status).toBe('active');
  });

  it('sets server-owned properties, and takes a property only once (import lock)', async () => {
    const image = await create();
    expect(await images.tryTakeProperty(image.id, 'os_glance_import_task', 'task-1')).toBe(true);
    expect(await images.tryTakeProperty(image.id, 'os_glance_import_task', 'task-2')).toBe(false);
    const saved = await images.setProperties(image.id, {
      os_glance_stage_host: 'http://node1',
      os_glance_failed_import: '',
    });
    expect(saved.properties).toMatchObject({
      os_glance_import_task: 'task-1',
      os_glance_stage_host: 'http://node1',
    });
    const shown = (await t.http.get(`/v2/images/${image.id}`).set(owner).expect(200)).body;
    expect(shown.os_glance_import_task).toBe('task-1');
    expect(shown).not.toHaveProperty('os_glance_stage_host');
    await images.setProperties(image.id, {}, ['os_glance_import_task']);
    expect(await images.tryTakeProperty(image.id, 'os_glance_import_task', 'task-3')).toBe(true);
  });

  it('runs delete hooks before the soft delete', async () => {
    const seen: string[] = [];
    images.registerDeleteHook((image) => {
      seen.push(image.id);
      return Promise.resolve();
    });
    const image = await create();
    await t.http.delete(`/v2/images/${image.id}`).set(owner).expect(204);
    expect(seen).toEqual([image.id]);
  });

  it('lets the members feature make shared images visible through one clause', async () => {
    const shared = await create({ name: 'shared-with-p2' });
    const pending = await create({ name: 'pending-for-p2' });
    const priv = await create({ name: 'private', visibility: 'private' });
    await t.http.get(`/v2/images/${shared.id}`).set(member).expect(404);
    // A stand-in for image_members: (image, member project, status) rows.
    const rows = `(VALUES ('${shared.id}'::uuid, 'p2', 'accepted'), ('${pending.id}'::uuid, 'p2', 'pending'), ('${priv.id}'::uuid, 'p2', 'accepted'))`;
    images.registerMembership(
      (imageId, project, status) =>
        `EXISTS (SELECT 1 FROM ${rows} AS m(image_id, member, status) WHERE m.image_id = ${imageId} AND m.member = ${project}${status ? ` AND m.status = ${status}` : ''})`,
    );
    await t.http.get(`/v2/images/${shared.id}`).set(member).expect(200);
    await t.http.get(`/v2/images/${pending.id}`).set(member).expect(200);
    await t.http.get(`/v2/images/${priv.id}`).set(member).expect(404);
    await t.http.get(`/v2/images/${shared.id}`).set(stranger).expect(404);
    const list = await t.http.get('/v2/images').set(member).expect(200);
    expect(list.body.images.map((i: { name: string }) => i.name)).toEqual(['shared-with-p2']);
    const pendingList = await t.http.get('/v2/images?member_status=pending').set(member).expect(200);
    expect(pendingList.body.images.map((i: { name: string }) => i.name)).toEqual(['pending-for-p2']);
    const all = await t.http.get('/v2/images?member_status=all&visibility=shared').set(member).expect(200);
    expect(all.body.images).toHaveLength(2);
    // A member can read but not modify: 403, not 404.
    const res = await t.http
      .patch(`/v2/images/${shared.id}`)
      .set(member)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/name', value: 'x' }]))
      .expect(403);
    expect(errorText(res.body)).toBe('You are not authorized to complete modify_image action.');
  });
});

describe('images under legacy policy defaults', () => {
  let t: TestApp;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'glint-legacy-')), 'glint.yaml');
    writeFileSync(file, 'oslo_policy:\n  enforce_new_defaults: false\n');
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, file);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets any role act on its own project, and checks ownership in code', async () => {
    const noRoles = as('p1', '');
    const image = (await t.http.post('/v2/images').set(noRoles).send({ visibility: 'community' }).expect(201))
      .body;
    await t.http
      .patch(`/v2/images/${image.id}`)
      .set(noRoles)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/name', value: 'mine' }]))
      .expect(200);
    const other = as('p2', 'member,reader');
    const res = await t.http
      .patch(`/v2/images/${image.id}`)
      .set(other)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'add', path: '/name', value: 'theirs' }]))
      .expect(403);
    expect(errorText(res.body)).toBe('You do not own this image');
    const del = await t.http.delete(`/v2/images/${image.id}`).set(other).expect(403);
    expect(errorText(del.body)).toBe('You do not own this image');
    const owned = await t.http.post('/v2/images').set(noRoles).send({ owner: 'p2' }).expect(403);
    expect(errorText(owned.body)).toBe("You are not permitted to create images owned by 'p2'.");
    const pub = await t.http.post('/v2/images').set(noRoles).send({ visibility: 'public' }).expect(403);
    expect(errorText(pub.body)).toBe('You are not authorized to complete publicize_image action.');
  });
});
