import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import amqp from 'amqplib';
import { connect as natsConnect } from '@nats-io/transport-node';
import { GlintClient, GlintClientModule, GlintError, GlintEvents } from '../../src/client/index.js';
import type { GlintNotification } from '../../src/client/index.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { BrokerOutage, ThrowawayBroker, freePort, runId } from '../support/brokers.js';
import { errorText } from '../support/images.js';

const NATS = 'nats://127.0.0.1:4222';
const PROJECT = 'b1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6';
const member = { user_id: 'u-1', project_id: PROJECT, roles: ['member', 'reader'] };

/** A NestJS service of someone else's that uses Glint through the client module. */
@Injectable()
class Catalogue {
  constructor(readonly glint: GlintClient) {}
}

describe('GlintClientModule over NATS (trusted mesh)', () => {
  const run = runId('meshc');
  let t: TestApp;
  let other: INestApplicationContext;
  let glint: GlintClient;
  let events: GlintEvents;
  const seen: GlintNotification[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_MESH: `${NATS}?queue=${run}`,
      GLINT_MESH_PREFIX: run,
      GLINT_NOTIFY: `${NATS}?subject_prefix=${run}.notifications`,
    });
    events = await GlintEvents.connect({ url: NATS, prefix: `${run}.notifications` });
    events.onAny((n) => seen.push(n));

    @Module({
      imports: [GlintClientModule.register({ transport: NATS, prefix: run, identity: member })],
      providers: [Catalogue],
    })
    class OtherServiceModule {}
    other = await NestFactory.createApplicationContext(OtherServiceModule, { logger: false });
    glint = other.get(Catalogue).glint;
  });

  afterAll(async () => {
    await other?.close();
    await events?.close();
    await t?.close();
  });

  it('creates, lists, updates, tags and deletes images with Glance JSON', async () => {
    const created = await glint.createImage({
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
    });
    expect(created).toMatchObject({
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      owner: PROJECT,
      self: `/v2/images/${created.id}`,
    });
    const list = await glint.listImages({ name: 'cirros' });
    expect(list.images.map((i) => i.id)).toEqual([created.id]);
    expect(list).toMatchObject({ first: '/v2/images?name=cirros', schema: '/v2/schemas/images' });

    const renamed = await glint.updateImage(created.id, [
      { op: 'replace', path: '/name', value: 'cirros-0.6' },
    ]);
    expect(renamed.name).toBe('cirros-0.6');
    await glint.addTag(created.id, 'ci');
    expect((await glint.getImage(created.id)).tags).toEqual(['ci']);
    await glint.removeTag(created.id, 'ci');

    // Over HTTP, the same image is there for the same project.
    const viaHttp = await t.http
      .get(`/v2/images/${created.id}`)
      .set({ 'X-Identity-Status': 'Confirmed', 'X-Project-Id': PROJECT, 'X-Roles': 'member,reader' })
      .expect(200);
    expect(viaHttp.body).toEqual(await glint.getImage(created.id));

    await glint.deleteImage(created.id);
    await expect(glint.getImage(created.id)).rejects.toMatchObject({
      code: 404,
      message: `No image found with ID ${created.id}`,
    });

    // The notifications of these calls, as a subscriber on the broker gets them, in order.
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(5), { timeout: 10_000 });
    expect(seen.map((n) => [n.event_type, (n.payload as { id: string }).id])).toEqual([
      ['image.create', created.id],
      ['image.update', created.id],
      ['image.update', created.id],
      ['image.update', created.id],
      ['image.delete', created.id],
    ]);
  });

  it('brings a policy refusal back as 403 with Glance’s message', async () => {
    const err = await glint.createImage({ name: 'public', visibility: 'public' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlintError);
    expect(err).toMatchObject({
      code: 403,
      message: 'You are not authorized to complete publicize_image action.',
    });
  });

  it('answers bad input with 400 and a missing identity with 401', async () => {
    await expect(glint.updateImage('x', [{ op: 'move', path: '/name' } as never])).rejects.toMatchObject({
      code: 400,
    });
    const anonymous = glint.as(undefined as never);
    await expect(anonymous.listImages()).rejects.toMatchObject({ code: 401 });
  });
});

describe.each([
  ['RabbitMQ', (run: string) => Promise.resolve(`amqp://guest:guest@127.0.0.1:5672?queue=${run}`)],
  ['Redis', () => Promise.resolve('redis://127.0.0.1:6379')],
  ['TCP', async () => `tcp://127.0.0.1:${await freePort()}`],
])('the image patterns over %s', (name, listener) => {
  const run = runId(`mesh-${name.toLowerCase()}`);
  let t: TestApp;
  let glint: GlintClient;
  let url: string;

  beforeAll(async () => {
    url = await listener(run);
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_MESH: url, GLINT_MESH_PREFIX: run });
    glint = GlintClient.create({ transport: url, prefix: run, identity: member, timeoutMs: 10_000 });
    await glint.connect();
  });

  afterAll(async () => {
    await glint?.close();
    await t?.close();
    if (url?.startsWith('amqp')) {
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      const ch = await conn.createChannel();
      await ch.deleteQueue(run);
      await conn.close();
    }
  });

  it('creates, reads and refuses with Glance’s codes', async () => {
    const created = await glint.createImage({ name, tags: ['mesh'] });
    expect(await glint.getImage(created.id)).toEqual(created);
    // A member may not deactivate (admin only by default): policy's 403, as over HTTP.
    await expect(glint.deactivateImage(created.id)).rejects.toMatchObject({ code: 403 });
    await expect(glint.createImage({ visibility: 'public' })).rejects.toMatchObject({ code: 403 });
    await glint.deleteImage(created.id);
    await expect(glint.getImage(created.id)).rejects.toMatchObject({ code: 404 });
  });
});

describe('members, import and tasks through GlintClientModule over NATS', () => {
  const run = runId('meshm');
  const OWNER = PROJECT;
  const OTHER = 'c2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7';
  const owner = member;
  const otherMember = { user_id: 'u-2', project_id: OTHER, roles: ['member', 'reader'] };
  const admin = { user_id: 'u-admin', project_id: OWNER, roles: ['admin', 'member', 'reader'] };
  const headers = (id: { project_id: string; user_id: string; roles: string[] }) => ({
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': id.project_id,
    'X-User-Id': id.user_id,
    'X-Roles': id.roles.join(','),
    Accept: 'application/json',
  });
  const data = randomBytes(64 * 1024);
  let server: Server;
  let port: number;
  let t: TestApp;
  let other: INestApplicationContext;
  let glint: GlintClient;
  let events: GlintEvents;
  const seen: GlintNotification[] = [];

  /** The HTTP answer to the same call: the mesh must give the same code and message. */
  function httpError(res: { status: number; body: { message?: string } }) {
    return { code: res.status, message: errorText(res.body) };
  }

  beforeAll(async () => {
    server = createServer((req, res) =>
      req.url === '/cirros.img' ? res.end(data) : res.writeHead(404).end(),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const cfg = join(mkdtempSync(join(tmpdir(), 'glint-meshm-')), 'glint.yaml');
    writeFileSync(
      cfg,
      `import_filtering_opts:\n  allowed_ports: [80, 443, ${port}]\n  allowed_hosts: [127.0.0.1]\n`,
    );
    t = await startTestApp(
      {
        GLINT_AUTH: 'trusted',
        GLINT_MESH: `${NATS}?queue=${run}`,
        GLINT_MESH_PREFIX: run,
        GLINT_NOTIFY: `${NATS}?subject_prefix=${run}.notifications`,
      },
      cfg,
    );
    events = await GlintEvents.connect({ url: NATS, prefix: `${run}.notifications` });
    events.onAny((n) => seen.push(n));

    @Module({
      imports: [GlintClientModule.register({ transport: NATS, prefix: run, identity: owner })],
      providers: [Catalogue],
    })
    class OtherServiceModule {}
    other = await NestFactory.createApplicationContext(OtherServiceModule, { logger: false });
    glint = other.get(Catalogue).glint;
  });

  afterAll(async () => {
    await other?.close();
    await events?.close();
    await t?.close();
    server?.close();
  });

  it('shares an image: the owner adds, the member accepts, the owner removes; events in order', async () => {
    const image = await glint.createImage({ name: 'shared', visibility: 'shared' });
    const added = await glint.addMember(image.id, OTHER);
    expect(added).toEqual({
      image_id: image.id,
      member_id: OTHER,
      status: 'pending',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: added.created_at,
      schema: '/v2/schemas/member',
    });
    const asOther = glint.as(otherMember);
    expect(await asOther.getMember(image.id, OTHER)).toEqual(added);
    const accepted = await asOther.updateMember(image.id, OTHER, 'accepted');
    expect(accepted).toMatchObject({ member_id: OTHER, status: 'accepted' });
    expect((await asOther.getImage(image.id)).id).toBe(image.id);

    // The same memberships over HTTP, byte for byte.
    const viaHttp = await t.http.get(`/v2/images/${image.id}/members`).set(headers(owner)).expect(200);
    expect(await glint.listMembers(image.id)).toEqual(viaHttp.body);
    expect(viaHttp.body.members).toEqual([accepted]);

    await glint.removeMember(image.id, OTHER);
    await expect(asOther.getImage(image.id)).rejects.toMatchObject({ code: 404 });
    expect(await glint.listMembers(image.id)).toEqual({ members: [], schema: '/v2/schemas/members' });

    await vi.waitFor(
      () => expect(seen.filter((n) => n.event_type.startsWith('image.member.'))).toHaveLength(3),
      { timeout: 10_000 },
    );
    const memberEvents = seen.filter((n) => n.event_type.startsWith('image.member.'));
    expect(memberEvents.map((n) => [n.event_type, n.payload])).toEqual([
      [
        'image.member.create',
        {
          image_id: image.id,
          member_id: OTHER,
          status: 'pending',
          created_at: added.created_at,
          updated_at: added.updated_at,
          deleted: false,
          deleted_at: null,
        },
      ],
      ['image.member.update', expect.objectContaining({ status: 'accepted', deleted: false })],
      [
        'image.member.delete',
        expect.objectContaining({ status: 'accepted', deleted: true, deleted_at: expect.any(String) }),
      ],
    ]);
    await glint.deleteImage(image.id);
  });

  it('refuses as HTTP does: policy 403s and not-found 404s with Glance’s messages', async () => {
    const image = await glint.createImage({ name: 'refusals', visibility: 'shared' });
    await glint.addMember(image.id, OTHER);
    const asOther = glint.as(otherMember);
    const cases: Array<
      [() => Promise<unknown>, () => Promise<{ status: number; body: { message?: string } }>, number]
    > = [
      // The member may not share the image onwards, nor the owner answer for the member.
      [
        () => asOther.addMember(image.id, 'd1'),
        () => t.http.post(`/v2/images/${image.id}/members`).set(headers(otherMember)).send({ member: 'd1' }),
        403,
      ],
      [
        () => glint.updateMember(image.id, OTHER, 'accepted'),
        () =>
          t.http
            .put(`/v2/images/${image.id}/members/${OTHER}`)
            .set(headers(owner))
            .send({ status: 'accepted' }),
        403,
      ],
      // Another project's membership, and an image nobody has.
      [
        () => asOther.getMember(image.id, 'someone-else'),
        () => t.http.get(`/v2/images/${image.id}/members/someone-else`).set(headers(otherMember)),
        404,
      ],
      [
        () => glint.listMembers('6b1a2f8e-0000-4000-8000-000000000000'),
        () => t.http.get('/v2/images/6b1a2f8e-0000-4000-8000-000000000000/members').set(headers(owner)),
        404,
      ],
      // The tasks API is admin-only by default; a missing task is 404 for an admin.
      [
        () => glint.getTask('6b1a2f8e-0000-4000-8000-000000000001'),
        () => t.http.get('/v2/tasks/6b1a2f8e-0000-4000-8000-000000000001').set(headers(owner)),
        403,
      ],
      [
        () => glint.as(admin).getTask('6b1a2f8e-0000-4000-8000-000000000001'),
        () => t.http.get('/v2/tasks/6b1a2f8e-0000-4000-8000-000000000001').set(headers(admin)),
        404,
      ],
      [
        () => glint.importImage(image.id, { method: { name: 'glance-direct' } }),
        () =>
          t.http
            .post(`/v2/images/${image.id}/import`)
            .set(headers(owner))
            .send({ method: { name: 'glance-direct' } }),
        409,
      ],
    ];
    for (const [mesh, http, code] of cases) {
      const err = await mesh().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GlintError);
      const expected = httpError(await http());
      expect(expected.code).toBe(code);
      expect(expected.message).toMatch(/\w/);
      expect(err).toMatchObject(expected);
    }
    await glint.deleteImage(image.id);
  });

  it('imports by web-download and follows the task as the owner and as an admin', async () => {
    const image = await glint.createImage({ name: 'imported', disk_format: 'raw', container_format: 'bare' });
    const before = seen.length;
    await glint.importImage(image.id, {
      method: { name: 'web-download', uri: `http://127.0.0.1:${port}/cirros.img` },
    });
    const active = await vi.waitFor(
      async () => {
        const now = await glint.getImage(image.id);
        expect(now.status).toBe('active');
        return now;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(active).toMatchObject({
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
    });

    // The image turns active before its task records success: follow the task until it does.
    const tasks = await vi.waitFor(
      async () => {
        const list = (await glint.listImageTasks(image.id)).tasks;
        expect(list.map((task) => task.status)).toEqual(['success']);
        return list;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(tasks[0]).toMatchObject({
      type: 'api_image_import',
      status: 'success',
      owner: OWNER,
      image_id: image.id,
    });
    const task = await glint.as(admin).getTask(tasks[0].id);
    expect(task).toMatchObject({
      id: tasks[0].id,
      type: 'api_image_import',
      status: 'success',
      image_id: image.id,
      self: `/v2/tasks/${tasks[0].id}`,
    });
    const viaHttp = await t.http.get(`/v2/tasks/${task.id}`).set(headers(admin)).expect(200);
    expect(task).toEqual(viaHttp.body);
    const listed = await glint.as(admin).listTasks({ sort_dir: 'asc', limit: 50 });
    expect(listed).toMatchObject({ first: '/v2/tasks?sort_dir=asc&limit=50', schema: '/v2/schemas/tasks' });
    expect(listed.tasks.map((entry) => entry.id)).toContain(task.id);
    await expect(glint.listTasks()).rejects.toMatchObject({ code: 403 });

    // The subscriber sees the import as Glance reports it (spec §6.1's sequence), in order.
    const steps = [
      'task.create',
      'task.processing',
      'image.prepare',
      'image.upload',
      'image.activate',
      'task.success',
    ];
    await vi.waitFor(() => expect(seen.slice(before).map((n) => n.event_type)).toContain('task.success'), {
      timeout: 10_000,
    });
    const mine = seen.slice(before).filter((n) => steps.includes(n.event_type));
    expect(mine.map((n) => n.event_type)).toEqual(steps);
    expect(mine[0].payload).toMatchObject({
      id: task.id,
      type: 'api_image_import',
      status: 'pending',
      result: null,
      message: null,
    });
    expect(mine[4].payload).toMatchObject({ id: image.id, status: 'active', size: data.length });
    await glint.deleteImage(image.id);
  });
});

/** A broker the test may take away from Glint: a server of its own, or a cut in front of RabbitMQ. */
interface MeshBroker {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  dispose(): Promise<void>;
}

async function ownBroker(kind: 'nats' | 'redis'): Promise<MeshBroker> {
  const broker = await ThrowawayBroker.start(kind);
  return {
    url: `${kind}://127.0.0.1:${broker.port}`,
    down: () => broker.down(),
    up: () => broker.up(),
    dispose: () => broker.dispose(),
  };
}

async function cutRabbit(run: string): Promise<MeshBroker> {
  const outage = await BrokerOutage.start({ host: '127.0.0.1', port: 5672 });
  return {
    url: `amqp://guest:guest@127.0.0.1:${outage.port}?queue=${run}`,
    down: () => outage.down(),
    up: () => outage.up(),
    async dispose() {
      await outage.down();
      const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      const ch = await conn.createChannel();
      await ch.deleteQueue(run);
      await conn.close();
    },
  };
}

/**
 * The outage outlasts what the broker clients would retry by default (NATS: 10 attempts, here 1 s
 * apart; Nest's Redis transport: no reconnect at all without retryAttempts), so a listener that
 * gives up shows here as a mesh that never answers again.
 */
describe.each([
  ['NATS', (_run: string) => ownBroker('nats'), 14_000],
  ['Redis', (_run: string) => ownBroker('redis'), 3_000],
  ['RabbitMQ', (run: string) => cutRabbit(run), 3_000],
])('the mesh broker (%s) stopped during the test', (name, start, outageMs) => {
  const run = runId(`meshdown-${name.toLowerCase()}`);
  const stream = run.replace(/[^A-Za-z0-9_-]/g, '_');
  const owner = {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': PROJECT,
    'X-User-Id': 'u-1',
    'X-Roles': 'member,reader',
  };
  let broker: MeshBroker;
  let t: TestApp;
  let glint: GlintClient;

  afterAll(async () => {
    await glint?.close();
    await t?.close();
    await broker?.dispose();
  });

  it('HTTP keeps serving; the listener answers again once the broker is back', async () => {
    broker = await start(run);
    const nats = name === 'NATS';
    t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_MESH: broker.url,
      GLINT_MESH_PREFIX: run,
      // On NATS the notifications share the broker, through JetStream, and are checked too.
      ...(nats
        ? {
            GLINT_NOTIFY: `${broker.url}?subject_prefix=${run}.notifications&jetstream=true&stream=${stream}`,
            GLINT_NOTIFY_RETRY_MS: '120000',
          }
        : {}),
    });
    glint = GlintClient.create({ transport: broker.url, prefix: run, identity: member, timeoutMs: 2_000 });
    await glint.connect();
    const image = await glint.createImage({ name: 'before', visibility: 'shared' });

    await broker.down();
    // The mesh cannot answer without its broker; HTTP does not depend on it.
    await expect(glint.getImage(image.id)).rejects.toBeInstanceOf(Error);
    const started = Date.now();
    await t.http
      .patch(`/v2/images/${image.id}`)
      .set(owner)
      .set('Content-Type', 'application/openstack-images-v2.1-json-patch')
      .send(JSON.stringify([{ op: 'replace', path: '/name', value: 'during' }]))
      .expect(200);
    await t.http.post(`/v2/images/${image.id}/members`).set(owner).send({ member: 'p-2' }).expect(200);
    const other = await t.http.post('/v2/images').set(owner).send({ name: 'made-during' }).expect(201);
    await t.http.delete(`/v2/images/${other.body.id}`).set(owner).expect(204);
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, outageMs - (Date.now() - started)));

    await broker.up();
    const after = await vi.waitFor(() => glint.getImage(image.id), { timeout: 30_000, interval: 500 });
    expect(after.name).toBe('during');
    expect((await glint.listMembers(image.id)).members.map((m) => m.member_id)).toEqual(['p-2']);
    if (!nats) return;

    // Every event, the ones made while the broker was away included, in order in the stream.
    const nc = await natsConnect({ servers: broker.url.replace('nats://', '') });
    try {
      const types = await vi.waitFor(
        async () => {
          const info = (await nc.request(`$JS.API.STREAM.INFO.${stream}`, '', { timeout: 5_000 })).json<{
            state: { messages: number };
          }>();
          expect(info.state.messages).toBe(5);
          const list: string[] = [];
          for (let seq = 1; seq <= 5; seq++) {
            const reply = await nc.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ seq }), {
              timeout: 5_000,
            });
            const { message } = reply.json<{ message: { data: string } }>();
            list.push(JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')).event_type);
          }
          return list;
        },
        { timeout: 30_000, interval: 500 },
      );
      expect(types).toEqual([
        'image.create',
        'image.update',
        'image.member.create',
        'image.create',
        'image.delete',
      ]);
    } finally {
      await nc.close();
    }
  }, 120_000);
});
