import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import { GlintClient } from '../../src/client/glint-client.js';
import { loadConfig } from '../../src/config/app-config.js';
import { ImagesRepository, SqlImagesRepository } from '../../src/images/images.repository.js';
import { RemoteImagesRepository } from '../../src/registry/remote-repositories.js';
import { createRegistryApp } from '../../src/registry/registry.app.js';
import { RegistryOperationError } from '../../src/registry/registry-codec.js';
import { TaskEntity } from '../../src/tasks/task.entity.js';
import { freePort, startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as } from '../support/images.js';
import { IMPORT_BODY } from '../support/tasks.js';

const owner = as('p-owner');
const member = as('p-member');
const stranger = as('p-stranger');

/** The registry's own view of its database: what the api process wrote through it. */
async function registryRows(
  t: TestApp,
  sql: string,
  params: unknown[],
): Promise<Array<Record<string, unknown>>> {
  const dataSource = t.registry!.app.get(DataSource);
  return dataSource.query(sql, params);
}

describe('GLINT_ROLE=api with a GLINT_ROLE=registry (TCP)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, undefined, { role: 'registry' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('holds no database connection in the api process; the registry holds it', () => {
    expect(t.config.registry.role).toBe('api');
    expect(t.config.database.url).toBeUndefined();
    expect(() => t.app.get(DataSource, { strict: false })).toThrow();
    expect(t.app.get(ImagesRepository, { strict: false })).toBeInstanceOf(RemoteImagesRepository);
    const registry = t.registry!;
    expect(registry.app.get(DataSource).isInitialized).toBe(true);
    expect(registry.app.get(ImagesRepository)).toBeInstanceOf(SqlImagesRepository);
  });

  it('creates, shows, lists, updates and tags an image, all stored by the registry', async () => {
    const created = await t.http
      .post('/v2/images')
      .set(owner)
      .send({
        name: 'via-registry',
        disk_format: 'raw',
        container_format: 'bare',
        tags: ['a'],
        os_distro: 'x',
      })
      .expect(201);
    const id = created.body.id as string;
    const [row] = await registryRows(t, 'SELECT name, owner, status FROM images WHERE id = $1', [id]);
    expect(row).toEqual({ name: 'via-registry', owner: 'p-owner', status: 'queued' });

    const shown = await t.http.get(`/v2/images/${id}`).set(owner).expect(200);
    expect(shown.body).toEqual(created.body);
    expect(new Date(shown.body.created_at as string).toISOString()).toBe(
      new Date(created.body.created_at as string).toISOString(),
    );

    const patched = await t.http
      .patch(`/v2/images/${id}`)
      .set({ ...owner, 'Content-Type': PATCH_TYPE })
      .send(
        JSON.stringify([
          { op: 'replace', path: '/name', value: 'renamed' },
          { op: 'add', path: '/hw_disk_bus', value: 'scsi' },
          { op: 'remove', path: '/os_distro' },
        ]),
      )
      .expect(200);
    expect(patched.body).toMatchObject({ name: 'renamed', hw_disk_bus: 'scsi' });
    expect(patched.body).not.toHaveProperty('os_distro');

    await t.http.put(`/v2/images/${id}/tags/b`).set(owner).expect(204);
    await t.http.delete(`/v2/images/${id}/tags/a`).set(owner).expect(204);
    const tags = await registryRows(t, 'SELECT value FROM image_tags WHERE image_id = $1 ORDER BY value', [
      id,
    ]);
    expect(tags).toEqual([{ value: 'b' }]);

    const list = await t.http.get('/v2/images?tag=b').set(owner).expect(200);
    expect(list.body.images.map((i: { id: string }) => i.id)).toEqual([id]);
    await t.http.get(`/v2/images/${id}`).set(stranger).expect(404);
  });

  it('shares through members, with the list visibility (member clause) decided in the registry', async () => {
    const id = (
      await t.http.post('/v2/images').set(owner).send({ name: 'shared', visibility: 'shared' }).expect(201)
    ).body.id as string;
    await t.http.post(`/v2/images/${id}/members`).set(owner).send({ member: 'p-member' }).expect(200);
    await t.http.post(`/v2/images/${id}/members`).set(owner).send({ member: 'p-member' }).expect(409);
    const ids = async (headers: Record<string, string>, query = '') =>
      (await t.http.get(`/v2/images${query}`).set(headers).expect(200)).body.images.map(
        (i: { id: string }) => i.id,
      );
    // Pending: visible on show, not listed by default, listed with member_status=pending.
    await t.http.get(`/v2/images/${id}`).set(member).expect(200);
    expect(await ids(member)).not.toContain(id);
    expect(await ids(member, '?member_status=pending')).toContain(id);
    await t.http
      .put(`/v2/images/${id}/members/p-member`)
      .set(member)
      .send({ status: 'accepted' })
      .expect(200);
    expect(await ids(member)).toContain(id);
    expect(await ids(stranger, '?visibility=shared')).not.toContain(id);
    const members = await t.http.get(`/v2/images/${id}/members`).set(owner).expect(200);
    expect(members.body.members).toMatchObject([{ member_id: 'p-member', status: 'accepted' }]);
    await t.http.delete(`/v2/images/${id}/members/p-member`).set(owner).expect(204);
    await t.http.get(`/v2/images/${id}`).set(member).expect(404);
  });

  it('uploads, downloads and deletes data; of two racing uploads exactly one wins', async () => {
    const create = async () =>
      (
        await t.http
          .post('/v2/images')
          .set(owner)
          .send({ disk_format: 'raw', container_format: 'bare' })
          .expect(201)
      ).body.id as string;
    const id = await create();
    const data = Buffer.alloc(256 * 1024, 7);
    const upload = (image: string) =>
      t.http
        .put(`/v2/images/${image}/file`)
        .set({ ...owner, 'Content-Type': 'application/octet-stream' })
        .send(data);
    // The compare-and-set queued → saving is one statement in the registry.
    const raced = await Promise.all([upload(id), upload(id)]);
    expect(raced.map((r) => r.status).sort()).toEqual([204, 409]);
    const shown = await t.http.get(`/v2/images/${id}`).set(owner).expect(200);
    expect(shown.body).toMatchObject({ status: 'active', size: data.length });
    expect(shown.body.checksum).toBe(createHash('md5').update(data).digest('hex'));
    const download = await t.http.get(`/v2/images/${id}/file`).set(owner).buffer(true).expect(200);
    expect(Buffer.compare(download.body as Buffer, data)).toBe(0);
    const locations = await registryRows(t, 'SELECT status FROM image_locations WHERE image_id = $1', [id]);
    expect(locations).toEqual([{ status: 'active' }]);

    await t.http.delete(`/v2/images/${id}`).set(owner).expect(204);
    await t.http.get(`/v2/images/${id}`).set(owner).expect(404);
    const [row] = await registryRows(t, 'SELECT deleted, status FROM images WHERE id = $1', [id]);
    expect(row).toEqual({ deleted: true, status: 'deleted' });
    // Ids are never reused, whoever asks.
    await t.http.post('/v2/images').set(owner).send({ id }).expect(409);
  });

  it('brings a database failure in the registry back as an error of the api process', async () => {
    const images = t.app.get(ImagesRepository, { strict: false });
    // PostgreSQL refuses the cast to uuid: the statement fails inside the registry.
    const failure = images.findById('not-a-uuid');
    await expect(failure).rejects.toBeInstanceOf(RegistryOperationError);
    await expect(images.findById('not-a-uuid')).rejects.toThrow(/registry images\.findById: .*uuid/);
    // The registry's connection survives it.
    await t.http.get('/v2/images').set(owner).expect(200);
  });

  it('answers health through the registry', async () => {
    await t.http.get('/healthcheck').expect(200, 'OK');
    await t.registry!.http.get('/healthcheck').expect(200, 'OK');
    await t.http.get('/health/ready').expect(200, { status: 'ready' });
  });

  it("lists an image's tasks from the registry's task rows, as the owner may see them", async () => {
    const id = (await t.http.post('/v2/images').set(owner).send({ name: 'with-task' }).expect(201)).body
      .id as string;
    const now = new Date();
    const task = (taskOwner: string) => ({
      id: randomUUID(),
      type: 'api_image_import',
      status: 'success' as const,
      owner: taskOwner,
      imageId: id,
      input: { image_id: id },
      result: null,
      message: '',
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(now.getTime() + 3_600_000),
    });
    const mine = task('p-owner');
    await t
      .registry!.app.get(DataSource)
      .getRepository(TaskEntity)
      .insert([mine, task('p-other')]);
    const res = await t.http.get(`/v2/images/${id}/tasks`).set(owner).expect(200);
    expect(res.body.tasks).toHaveLength(1);
    expect(res.body.tasks[0]).toMatchObject({
      id: mine.id,
      owner: 'p-owner',
      image_id: id,
      status: 'success',
    });
    await t.http.get(`/v2/images/${id}/tasks`).set(stranger).expect(404);
  });

  it("serves the tasks API and import through the registry, with the caller's policy", async () => {
    const admin = as('p-owner', 'admin,member,reader');
    // tasks_api_access is evaluated in the registry for the caller the api process authenticated.
    const refused = await t.http.get('/v2/tasks').set(owner).expect(403);
    expect(refused.body.message).toContain('tasks_api_access');
    const created = await t.http.post('/v2/tasks').set(admin).send(IMPORT_BODY).expect(201);
    expect(created.headers.location).toMatch(new RegExp(`/v2/tasks/${created.body.id as string}$`));
    const [row] = await registryRows(t, 'SELECT owner FROM tasks WHERE id = $1', [created.body.id]);
    expect(row.owner).toBe('p-owner');
    const shown = await t.http
      .get(`/v2/tasks/${created.body.id as string}`)
      .set(admin)
      .expect(200);
    expect(shown.body).toMatchObject({ id: created.body.id, type: 'import', owner: 'p-owner' });
    expect(shown.body.created_at).toBe(created.body.created_at);
    const list = await t.http.get('/v2/tasks?limit=1').set(admin).expect(200);
    expect(list.body.tasks.map((x: { id: string }) => x.id)).toContain(created.body.id);
    await t.http.get(`/v2/tasks/${randomUUID()}`).set(admin).expect(404);

    const image = (await t.http.post('/v2/images').set(owner).send({ name: 'imp' }).expect(201)).body
      .id as string;
    // Domain errors of the registry's ImportService come back as the same answers.
    const unstaged = await t.http
      .post(`/v2/images/${image}/import`)
      .set(owner)
      .send({ method: { name: 'glance-direct' } })
      .expect(409);
    expect(unstaged.body.message).toContain(
      "Image needs to be staged before 'glance-direct' method can be used",
    );
    await t.http
      .post(`/v2/images/${image}/import`)
      .set(stranger)
      .send({ method: { name: 'glance-direct' } })
      .expect(404);
    await t.http
      .post(`/v2/images/${image}/import`)
      .set(owner)
      .send({ method: { name: 'nope' } })
      .expect(400);
  });

  it('serves metadefs through the registry; the registry answers only health over HTTP', async () => {
    const admin = as('p-owner', 'admin,member,reader');
    await t.http
      .post('/v2/metadefs/namespaces')
      .set(admin)
      .send({ namespace: 'Glint::Split', visibility: 'private' })
      .expect(201);
    const [row] = await registryRows(t, 'SELECT owner FROM metadef_namespaces WHERE namespace = $1', [
      'Glint::Split',
    ]);
    expect(row.owner).toBe('p-owner');
    await t.http.get('/v2/metadefs/namespaces/Glint::Split').set(admin).expect(200);
    // A private namespace of another project: the registry's visibility rules, for this caller.
    await t.http.get('/v2/metadefs/namespaces/Glint::Split').set(stranger).expect(404);
    await t.http.delete('/v2/metadefs/namespaces/Glint::Split').set(owner).expect(403);
    // The registry mounts the task features for its task queue, never their routes.
    await t.registry!.http.get('/v2/tasks').set(as('p', 'admin')).expect(404);
    await t.registry!.http.get('/v2/images').set(as('p', 'admin')).expect(404);
    await t.registry!.http.get('/health/live').expect(200);
  });
});

describe('GLINT_ROLE=api start and failure', () => {
  it('refuses to start when the registry does not answer, naming the setting', async () => {
    const config = loadConfig({
      GLINT_LOG_LEVEL: 'silent',
      GLINT_ROLE: 'api',
      GLINT_REGISTRY_URL: `tcp://127.0.0.1:${await freePort()}`,
      GLINT_REGISTRY_TIMEOUT_MS: '2000',
    });
    await expect(createApp(config)).rejects.toThrow(/GLINT_REGISTRY_URL does not answer/);
  });

  it('refuses a registry token that does not match', async () => {
    const t = await startTestApp({ GLINT_REGISTRY_TOKEN: 'right' }, undefined, { role: 'registry' });
    try {
      const config = loadConfig({
        GLINT_LOG_LEVEL: 'silent',
        GLINT_ROLE: 'api',
        GLINT_REGISTRY_URL: t.registry!.config.registry.address!,
        GLINT_REGISTRY_TOKEN: 'wrong',
      });
      await expect(createApp(config)).rejects.toThrow(/token/);
      // The matching token works.
      await t.http.post('/v2/images').send({ name: 'ok' }).expect(201);
    } finally {
      await t.close();
    }
  });

  it('answers 503 while the registry is down, says why in health, and recovers when it is back', async () => {
    const t = await startTestApp({ GLINT_REGISTRY_TIMEOUT_MS: '1000' }, undefined, { role: 'registry' });
    try {
      const id = (await t.http.post('/v2/images').send({ name: 'before' }).expect(201)).body.id as string;
      await t.registry!.app.close();
      await t.http.get(`/v2/images/${id}`).expect(503);
      const ready = await t.http.get('/health/ready').expect(503);
      expect(ready.body.status).toBe('unavailable');
      // A registry back on the same address is used again without restarting the api process.
      const again = await createRegistryApp(t.registry!.config);
      try {
        await t.http.get('/v2/images').expect(200);
        await t.http.get('/health/ready').expect(200);
      } finally {
        await again.close();
      }
    } finally {
      await t.app.close();
    }
  });
});

describe('GLINT_ROLE=api with a registry over NATS', () => {
  it('serves the image API through a broker as well', async () => {
    // A prefix of its own keeps this run's messages apart from any other on the shared NATS.
    const prefix = `glint.registry.t${randomUUID().slice(0, 8)}`;
    const t = await startTestApp({ GLINT_REGISTRY_PREFIX: prefix }, undefined, {
      role: 'registry',
      registryUrl: 'nats://127.0.0.1:4222',
    });
    try {
      const id = (
        await t.http
          .post('/v2/images')
          .send({ name: 'over-nats', tags: ['n'] })
          .expect(201)
      ).body.id as string;
      await t.http.get(`/v2/images/${id}`).expect(200);
      const list = await t.http.get('/v2/images?tag=n').expect(200);
      expect(list.body.images.map((i: { id: string }) => i.id)).toEqual([id]);
    } finally {
      await t.close();
    }
  });
});

describe('GLINT_ROLE=api with mesh listeners', () => {
  it('answers image, import and task patterns, the latter through the registry', async () => {
    const mesh = `tcp://127.0.0.1:${await freePort()}`;
    const t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_MESH: mesh }, undefined, {
      role: 'registry',
    });
    const glint = GlintClient.create({
      transport: mesh,
      identity: { project_id: 'p-owner', user_id: 'u', roles: ['admin', 'member', 'reader'] },
      timeoutMs: 5_000,
    });
    try {
      const image = await glint.createImage({ name: 'over-mesh' });
      expect((await glint.getImage(image.id)).name).toBe('over-mesh');
      expect(await glint.listImageTasks(image.id)).toEqual({ tasks: [] });
      await expect(glint.getTask(randomUUID())).rejects.toMatchObject({ code: 404 });
      await expect(glint.importImage(image.id, { method: { name: 'glance-direct' } })).rejects.toMatchObject({
        code: 409,
      });
    } finally {
      await glint.close();
      await t.close();
    }
  });
});
