import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { connect as natsConnect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { NOTIFICATION_EVENT } from '../../src/notifications/notification.js';
import type { Notification } from '../../src/notifications/notification.js';
import { GlintEvents } from '../../src/client/index.js';
import type { GlintNotification } from '../../src/client/index.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { BrokerOutage, ThrowawayBroker, freePort, runId } from '../support/brokers.js';

// The machine's shared brokers (see .ci/run). Every name below is unique to this run.
const NATS = '127.0.0.1:4222';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672';
const REDIS = { host: '127.0.0.1', port: 6379 };

/** Glance's image notification payload (spec §6.1): no locations, os_hidden or os_hash_*. */
function imagePayload(id: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: 'cirros-0.6.2',
    status: 'queued',
    created_at: '2026-11-26T21:00:00Z',
    updated_at: '2026-11-26T21:00:00Z',
    min_disk: 0,
    min_ram: 0,
    protected: false,
    checksum: null,
    owner: 'a9e1b5b4c3d2e1f0a9e1b5b4c3d2e1f0',
    disk_format: 'qcow2',
    container_format: 'bare',
    size: null,
    virtual_size: null,
    is_public: false,
    visibility: 'shared',
    properties: { hw_disk_bus: 'virtio' },
    tags: ['ci'],
    deleted: false,
    deleted_at: null,
    ...changes,
  };
}

/** Collects the notifications Glint puts on its in-process bus: what every sink must carry. */
function recordBus(t: TestApp): Notification[] {
  const seen: Notification[] = [];
  t.app.get(EventEmitter2).on(NOTIFICATION_EVENT, (n: Notification) => seen.push(n));
  return seen;
}

const PATCH = 'application/openstack-images-v2.1-json-patch';

const OWNER = 'a9e1b5b4c3d2e1f0a9e1b5b4c3d2e1f0';
const MEMBER = 'b7c6d5e4f3a2b1c0b7c6d5e4f3a2b1c0';

/** Headers of a trusted-mode caller of `project` (GLINT_AUTH=trusted behind a gateway). */
function caller(project: string): Record<string, string> {
  return {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': project,
    'X-User-Id': `user-${project}`,
    'X-Roles': 'member,reader',
  };
}

/** The events imageLifecycle causes, with their priorities, in Glance's order. */
const LIFECYCLE = [
  'image.create INFO',
  'image.update INFO',
  'image.member.create INFO',
  'image.member.update INFO',
  'image.update INFO',
  'image.prepare INFO',
  'image.upload ERROR',
  'image.update INFO',
  'image.delete INFO',
];

/**
 * An image's life over HTTP, as two projects see it: the owner creates and renames a shared
 * image and shares it; the member project accepts; the owner's upload fails (the declared size
 * is wrong), which Glance reports as an ERROR image.upload with a string payload; the owner
 * deletes the image. Needs GLINT_AUTH=trusted. Returns the image's id.
 */
async function imageLifecycle(t: TestApp): Promise<string> {
  const owner = caller(OWNER);
  const created = await t.http
    .post('/v2/images')
    .set(owner)
    .send({
      name: 'cirros-0.6.2',
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'shared',
      tags: ['ci'],
      hw_disk_bus: 'virtio',
    })
    .expect(201);
  const id = created.body.id as string;
  await t.http
    .patch(`/v2/images/${id}`)
    .set(owner)
    .set('Content-Type', PATCH)
    .send(JSON.stringify([{ op: 'replace', path: '/name', value: 'cirros' }]))
    .expect(200);
  await t.http.post(`/v2/images/${id}/members`).set(owner).send({ member: MEMBER }).expect(200);
  await t.http
    .put(`/v2/images/${id}/members/${MEMBER}`)
    .set(caller(MEMBER))
    .send({ status: 'accepted' })
    .expect(200);
  await t.http
    .put(`/v2/images/${id}/file`)
    .set(owner)
    .set('Content-Type', 'application/octet-stream')
    .set('x-openstack-image-size', '5')
    .send(Buffer.alloc(4096, 1))
    .expect(400);
  await t.http.delete(`/v2/images/${id}`).set(owner).expect(204);
  return id;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sinkStatus(t: TestApp, type: string, match = ''): Promise<Record<string, unknown>> {
  const res = await t.http.get('/health/notifications').expect(200);
  const sink = res.body.sinks.find(
    (s: { type: string; sink: string }) => s.type === type && s.sink.includes(match),
  );
  expect(sink).toBeDefined();
  return sink;
}

/** The parts of JetStream API replies the tests read. */
interface JsReply {
  config: { subjects: string[] };
  state: { messages: number };
  message: { data: string };
}

async function jsApi(nc: NatsConnection, api: string, body: unknown = ''): Promise<JsReply> {
  const reply = await nc.request(`$JS.API.${api}`, body === '' ? '' : JSON.stringify(body), {
    timeout: 5_000,
  });
  return reply.json<JsReply>();
}

describe('notifications leave the process (real NATS, RabbitMQ and Redis)', () => {
  const run = runId('notify');
  const prefix = `${run}.notifications`;
  const stream = run.replace(/[^A-Za-z0-9_-]/g, '_');
  const osloTopic = `${run}-oslo`;
  let t: TestApp;
  let nc: NatsConnection;
  let amqpConn: amqp.ChannelModel;
  let amqpCh: amqp.Channel;
  let sub: Redis;
  let redis: Redis;
  const got = {
    nats: [] as Array<{ subject: string; body: unknown }>,
    amqp: [] as amqp.ConsumeMessage[],
    redis: [] as Array<{ channel: string; body: unknown }>,
  };
  const helper = {
    nats: [] as GlintNotification[],
    amqp: [] as GlintNotification[],
    redis: [] as GlintNotification[],
  };
  const helpers: GlintEvents[] = [];

  beforeAll(async () => {
    // Raw subscribers first, as a consumer of Glance's notifications would be.
    nc = await natsConnect({ servers: NATS });
    nc.subscribe(`${prefix}.>`, {
      callback: (_err, m) => {
        got.nats.push({ subject: m.subject, body: m.json() });
      },
    });
    await nc.flush();

    amqpConn = await amqp.connect(AMQP);
    amqpCh = await amqpConn.createChannel();
    await amqpCh.assertExchange(run, 'topic', { durable: false, autoDelete: false });
    const q = await amqpCh.assertQueue('', { exclusive: true });
    await amqpCh.bindQueue(q.queue, run, 'notifications.*');
    await amqpCh.consume(q.queue, (m) => m && got.amqp.push(m), { noAck: true });

    sub = new Redis(REDIS);
    sub.on('pmessage', (_p, channel, message) => got.redis.push({ channel, body: JSON.parse(message) }));
    await sub.psubscribe(`${prefix}.*`);
    redis = new Redis(REDIS);
    // The client package's subscriber, on each broker, beside the raw ones.
    for (const [broker, options] of [
      ['nats', { url: `nats://${NATS}`, prefix }],
      ['amqp', { url: AMQP, exchange: run }],
      ['redis', { url: `redis://${REDIS.host}:${REDIS.port}`, prefix }],
    ] as const) {
      const events = await GlintEvents.connect(options);
      events.onAny((n) => helper[broker].push(n));
      helpers.push(events);
    }

    t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_NOTIFY: [
        'log',
        `nats://${NATS}?subject_prefix=${prefix}&jetstream=true&stream=${stream}`,
        `${AMQP}?exchange=${run}&default_queue=false`,
        `${AMQP}?exchange=${run}&topic=${osloTopic}`,
        `redis://${REDIS.host}:${REDIS.port}?channel=${prefix}`,
        `redis://${REDIS.host}:${REDIS.port}?stream=${run}&maxlen=100`,
      ].join(','),
    });
  });

  afterAll(async () => {
    await t?.close();
    if (nc) {
      await jsApi(nc, `STREAM.DELETE.${stream}`).catch(() => undefined);
      await nc.close();
    }
    if (amqpCh) {
      await amqpCh.deleteQueue(`${osloTopic}.info`).catch(() => undefined);
      await amqpCh.deleteQueue(`${osloTopic}.error`).catch(() => undefined);
      await amqpCh.deleteExchange(run).catch(() => undefined);
    }
    await amqpConn?.close();
    await redis?.del(run);
    sub?.disconnect();
    for (const events of helpers) await events.close();
    redis?.disconnect();
  });

  it('delivers every event, in order, with each broker envelope', async () => {
    const sent = recordBus(t);
    const id = await imageLifecycle(t);
    expect(sent.map((n) => `${n.event_type} ${n.priority}`)).toEqual(LIFECYCLE);
    const payloads = sent.map((n) => n.payload as Record<string, unknown>);
    const [create, rename, memberCreate, memberUpdate, saving, prepare, upload, requeued, del] = payloads;
    // Glance's image payloads (§6.1): the image after each change, no locations, os_hidden or os_hash_*.
    expect(Object.keys(create).sort()).toEqual(Object.keys(imagePayload(id)).sort());
    expect(create).toMatchObject({
      id,
      name: 'cirros-0.6.2',
      status: 'queued',
      is_public: false,
      owner: OWNER,
    });
    expect(create).toMatchObject({ properties: { hw_disk_bus: 'virtio' }, tags: ['ci'], deleted: false });
    expect(rename).toMatchObject({ id, name: 'cirros', deleted: false, deleted_at: null });
    // §6.2: the membership, then the member's answer.
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(memberCreate).toEqual({
      image_id: id,
      member_id: MEMBER,
      status: 'pending',
      created_at: stamp,
      updated_at: stamp,
      deleted: false,
      deleted_at: null,
    });
    expect(memberUpdate).toEqual({ ...memberCreate, status: 'accepted', updated_at: stamp });
    // The failed PUT /file: saving, prepare, the ERROR string, back to queued.
    expect(saving).toMatchObject({ id, status: 'saving' });
    expect(prepare).toMatchObject({
      id,
      status: 'saving',
      os_glance_importing_to_stores: [],
      os_glance_failed_import: [],
    });
    expect(upload).toEqual(
      expect.stringMatching(
        new RegExp(`^Failed to upload image data for image ${id} due to internal error: .*Size mismatch`),
      ),
    );
    expect(requeued).toMatchObject({ id, status: 'queued', size: null, checksum: null });
    expect(del).toMatchObject({ id, name: 'cirros', status: 'deleted', deleted: true });
    expect(del.deleted_at).toEqual(stamp);
    const n = LIFECYCLE.length;

    // Each sink delivers on its own; wait until every one has all four.
    await until('every sink', async () => {
      const r = await t.http.get('/health/notifications').expect(200);
      const brokers = r.body.sinks.filter((s: { type: string }) => s.type !== 'log');
      return brokers.every((s: { delivered: number }) => s.delivered === n) ? true : undefined;
    });

    // NATS: a subject per event type, the notification itself as JSON, through JetStream.
    await until('NATS', () => (got.nats.length >= n ? true : undefined));
    expect(got.nats.map((m) => m.subject)).toEqual(sent.map((n) => `${prefix}.${n.event_type}`));
    expect(got.nats.map((m) => m.body)).toEqual(sent);
    const info = await jsApi(nc, `STREAM.INFO.${stream}`);
    expect(info.config.subjects).toEqual([`${prefix}.>`]);
    expect(info.state.messages).toBe(n);

    // RabbitMQ: oslo.messaging's v2 envelope on the control exchange, routing key by priority.
    await until('RabbitMQ', () => (got.amqp.length >= n ? true : undefined));
    const mine = got.amqp.filter((m) => m.fields.routingKey.startsWith('notifications.'));
    expect(mine.map((m) => m.fields.routingKey)).toEqual(
      sent.map((m) => `notifications.${m.priority.toLowerCase()}`),
    );
    expect(mine.map((m) => m.fields.routingKey)).toContain('notifications.error');
    for (const [i, m] of mine.entries()) {
      expect(m.fields.exchange).toBe(run);
      expect(m.properties).toMatchObject({
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        priority: 0,
      });
      const envelope = JSON.parse(m.content.toString('utf8'));
      expect(Object.keys(envelope).sort()).toEqual(['oslo.message', 'oslo.version']);
      expect(envelope['oslo.version']).toBe('2.0');
      expect(typeof envelope['oslo.message']).toBe('string');
      const { _unique_id: uniqueId, ...message } = JSON.parse(envelope['oslo.message']);
      expect(uniqueId).toBe(sent[i].message_id.replace(/-/g, ''));
      expect(message).toEqual(sent[i]);
    }
    // The second AMQP sink uses its own topic and, as oslo does, a default queue per routing key.
    const oslo = got.amqp.filter((m) => m.fields.routingKey.startsWith(`${osloTopic}.`));
    expect(oslo).toHaveLength(0); // our consumer binds notifications.* only
    const infoQueue = await amqpCh.checkQueue(`${osloTopic}.info`);
    const errorQueue = await amqpCh.checkQueue(`${osloTopic}.error`);
    expect([infoQueue.messageCount, errorQueue.messageCount]).toEqual([n - 1, 1]);
    const queued = await amqpCh.get(`${osloTopic}.error`, { noAck: true });
    expect(queued && JSON.parse(JSON.parse(queued.content.toString())['oslo.message']).event_type).toBe(
      'image.upload',
    );

    // Redis: PUBLISH on a channel per event type, and XADD to a stream.
    await until('Redis pub/sub', () => (got.redis.length >= n ? true : undefined));
    expect(got.redis.map((m) => m.channel)).toEqual(sent.map((n) => `${prefix}.${n.event_type}`));
    expect(got.redis.map((m) => m.body)).toEqual(sent);
    const entries = await redis.xrange(run, '-', '+');
    expect(entries).toHaveLength(n);
    for (const [i, [, fields]] of entries.entries()) {
      const f = Object.fromEntries(
        fields.reduce<string[][]>((acc, v, j) => (j % 2 ? acc : [...acc, [v, fields[j + 1]]]), []),
      );
      expect(f).toMatchObject({
        event_type: sent[i].event_type,
        priority: sent[i].priority,
        message_id: sent[i].message_id,
      });
      expect(JSON.parse(f.message)).toEqual(sent[i]);
    }

    // The counters: everything delivered, nothing retried or dropped; no password shown.
    const res = await t.http.get('/health/notifications').expect(200);
    expect(res.body.sinks.map((s: { type: string }) => s.type)).toEqual([
      'log',
      'nats',
      'amqp',
      'amqp',
      'redis',
      'redis',
    ]);
    for (const s of res.body.sinks.slice(1)) {
      expect(s).toMatchObject({ delivered: n, retried: 0, dropped: 0, pending: 0, healthy: true });
    }
    expect(JSON.stringify(res.body)).not.toContain('guest:guest');

    // GlintEvents hands each broker's notifications out unwrapped: the same list, in the same order.
    await until('GlintEvents', () => (Object.values(helper).every((l) => l.length >= n) ? true : undefined));
    for (const list of Object.values(helper)) expect(list).toEqual(sent);
    expect(res.body.sinks[2].sink).toContain('guest:***@');
  });
});

describe('RabbitMQ entities declared by another service with other flags', () => {
  it('publishes to the existing durable exchange and queue, as oslo.messaging does', async () => {
    const run = runId('amqp-406');
    const conn = await amqp.connect(AMQP);
    const ch = await conn.createChannel();
    let t: TestApp | undefined;
    try {
      // As a ceilometer with amqp_durable_queues=true would have declared them.
      await ch.assertExchange(run, 'topic', { durable: true });
      await ch.assertQueue(`${run}.info`, { durable: true });
      t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_NOTIFY: `${AMQP}?exchange=${run}&topic=${run}` });
      await imageLifecycle(t);
      const status = await until('delivery', async () => {
        const s = await sinkStatus(t!, 'amqp');
        return s.delivered === LIFECYCLE.length ? s : undefined;
      });
      expect(status).toMatchObject({ dropped: 0, pending: 0, healthy: true });
      expect((await ch.checkQueue(`${run}.info`)).messageCount).toBe(LIFECYCLE.length - 1);
      expect((await ch.checkQueue(`${run}.error`)).messageCount).toBe(1);
    } finally {
      await t?.close();
      await ch.deleteQueue(`${run}.info`).catch(() => undefined);
      await ch.deleteQueue(`${run}.error`).catch(() => undefined);
      await ch.deleteExchange(run).catch(() => undefined);
      await conn.close();
    }
  });
});

describe('a broker that goes away', () => {
  const brokers: ThrowawayBroker[] = [];
  const outages: BrokerOutage[] = [];
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const b of brokers) await b.dispose();
    for (const o of outages) await o.down();
  });

  const owner = caller(OWNER);

  /** An HTTP call made while a broker is away: it must succeed, and not wait for the broker. */
  async function quick<T>(what: string, call: () => PromiseLike<T>): Promise<T> {
    const started = Date.now();
    const result = await call();
    expect(Date.now() - started, what).toBeLessThan(2_000);
    return result;
  }

  async function httpStillServes(t: TestApp): Promise<void> {
    await quick('healthcheck', () => t.http.get('/healthcheck').expect(200, 'OK'));
    await quick('list', () => t.http.get('/v2/images').set(owner).expect(200));
  }

  async function createImage(t: TestApp): Promise<string> {
    const res = await t.http
      .post('/v2/images')
      .set(owner)
      .send({ name: 'outage', disk_format: 'raw', container_format: 'bare', visibility: 'shared' })
      .expect(201);
    return res.body.id as string;
  }

  const rename = (t: TestApp, id: string, name: string) =>
    quick(`rename to ${name}`, () =>
      t.http
        .patch(`/v2/images/${id}`)
        .set(owner)
        .set('Content-Type', PATCH)
        .send(JSON.stringify([{ op: 'replace', path: '/name', value: name }]))
        .expect(200),
    );

  async function share(t: TestApp, id: string): Promise<void> {
    await quick('share', () =>
      t.http.post(`/v2/images/${id}/members`).set(owner).send({ member: MEMBER }).expect(200),
    );
    await quick('accept', () =>
      t.http
        .put(`/v2/images/${id}/members/${MEMBER}`)
        .set(caller(MEMBER))
        .send({ status: 'accepted' })
        .expect(200),
    );
  }

  const remove = (t: TestApp, id: string) =>
    quick('delete', () => t.http.delete(`/v2/images/${id}`).set(owner).expect(204));

  it('NATS JetStream stopped: HTTP succeeds, and its events are delivered, once and in order, when it returns', async () => {
    const nats = await ThrowawayBroker.start('nats');
    brokers.push(nats);
    const run = runId('outage');
    const stream = run.replace(/[^A-Za-z0-9_-]/g, '_');
    const t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_NOTIFY: `nats://127.0.0.1:${nats.port}?subject_prefix=${run}&jetstream=true&stream=${stream}`,
      GLINT_NOTIFY_RETRY_MS: '60000',
    });
    apps.push(t);
    const sent = recordBus(t);

    const id = await createImage(t);
    await until('first delivery', async () =>
      (await sinkStatus(t, 'nats')).delivered === 1 ? true : undefined,
    );

    await nats.down();
    await rename(t, id, 'during-outage');
    await share(t, id);
    await httpStillServes(t);
    const during = await until('a failed attempt', async () => {
      const s = await sinkStatus(t, 'nats');
      return (s.retried as number) > 0 ? s : undefined;
    });
    expect(during).toMatchObject({ delivered: 1, pending: 3, dropped: 0, healthy: false });
    expect(during.last_error).toEqual(expect.any(String));
    await remove(t, id);
    await httpStillServes(t);

    await nats.up();
    const after = await until('delivery after the restart', async () => {
      const s = await sinkStatus(t, 'nats');
      return s.pending === 0 ? s : undefined;
    });
    expect(after).toMatchObject({ delivered: 5, dropped: 0, healthy: true });
    expect(sent.map((n) => n.event_type)).toEqual([
      'image.create',
      'image.update',
      'image.member.create',
      'image.member.update',
      'image.delete',
    ]);

    const nc = await natsConnect({ servers: `127.0.0.1:${nats.port}` });
    try {
      const info = await jsApi(nc, `STREAM.INFO.${stream}`);
      expect(info.state.messages).toBe(5);
      const stored = [];
      for (let seq = 1; seq <= 5; seq++) {
        const { message } = await jsApi(nc, `STREAM.MSG.GET.${stream}`, { seq });
        stored.push(JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')));
      }
      expect(stored).toEqual(sent);
    } finally {
      await nc.close();
    }
  }, 60_000);

  it('Redis stopped: HTTP succeeds; events beyond the queue bound or the retry time are dropped and counted; later ones flow', async () => {
    const redisBroker = await ThrowawayBroker.start('redis');
    brokers.push(redisBroker);
    const run = runId('drop');
    const retryMs = 4_000;
    const t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_NOTIFY: `redis://127.0.0.1:${redisBroker.port}?stream=${run}`,
      GLINT_NOTIFY_MAX_PENDING: '2',
      GLINT_NOTIFY_RETRY_MS: String(retryMs),
    });
    apps.push(t);
    const sent = recordBus(t);

    const id = await createImage(t);
    await until('first delivery', async () =>
      (await sinkStatus(t, 'redis')).delivered === 1 ? true : undefined,
    );

    await redisBroker.down();
    const started = Date.now();
    for (const name of ['one', 'two', 'three']) await rename(t, id, name);
    const full = await sinkStatus(t, 'redis');
    // Only meaningful while the first of them is still inside its retry time.
    if (Date.now() - started < retryMs) expect(full).toMatchObject({ pending: 2, dropped: 1 });
    await httpStillServes(t);
    const expired = await until('the retry bound', async () => {
      const s = await sinkStatus(t, 'redis');
      return s.dropped === 3 ? s : undefined;
    });
    expect(expired).toMatchObject({ delivered: 1, pending: 0, healthy: false });
    await httpStillServes(t);

    await redisBroker.up();
    await remove(t, id);
    await until('delivery after the restart', async () =>
      (await sinkStatus(t, 'redis')).delivered === 2 ? true : undefined,
    );
    expect(await sinkStatus(t, 'redis')).toMatchObject({ dropped: 3, pending: 0, healthy: true });
    expect(sent.map((n) => n.event_type)).toEqual([
      'image.create',
      'image.update',
      'image.update',
      'image.update',
      'image.delete',
    ]);
    const client = new Redis({ host: '127.0.0.1', port: redisBroker.port });
    try {
      const entries = await client.xrange(run, '-', '+');
      // The server came back empty (no persistence): only the event sent after it returned is there.
      expect(entries.map(([, f]) => f[f.indexOf('message_id') + 1])).toEqual([sent[4].message_id]);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('RabbitMQ unreachable (its connections cut, new ones refused): HTTP succeeds; a subscriber gets every event in order when it returns', async () => {
    const run = runId('amqp-outage');
    const conn = await amqp.connect(AMQP);
    const ch = await conn.createChannel();
    const received: amqp.ConsumeMessage[] = [];
    try {
      // The subscriber talks to the broker directly; only Glint's path to it goes away.
      await ch.assertExchange(run, 'topic', { durable: false, autoDelete: false });
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, run, 'notifications.*');
      await ch.consume(q.queue, (m) => m && received.push(m), { noAck: true });
      const outage = await BrokerOutage.start({ host: '127.0.0.1', port: 5672 });
      outages.push(outage);
      const t = await startTestApp({
        GLINT_AUTH: 'trusted',
        GLINT_NOTIFY: `amqp://guest:guest@127.0.0.1:${outage.port}?exchange=${run}&default_queue=false`,
        GLINT_NOTIFY_RETRY_MS: '60000',
      });
      apps.push(t);
      const sent = recordBus(t);

      const id = await createImage(t);
      await until('first delivery', async () =>
        (await sinkStatus(t, 'amqp')).delivered === 1 ? true : undefined,
      );
      expect(outage.connections).toBeGreaterThan(0);

      await outage.down();
      await rename(t, id, 'during-outage');
      await share(t, id);
      await httpStillServes(t);
      const during = await until('a failed attempt', async () => {
        const s = await sinkStatus(t, 'amqp');
        return (s.retried as number) > 0 ? s : undefined;
      });
      expect(during).toMatchObject({ delivered: 1, pending: 3, dropped: 0, healthy: false });
      await remove(t, id);

      await outage.up();
      const after = await until('delivery on a new connection', async () => {
        const s = await sinkStatus(t, 'amqp');
        return s.pending === 0 ? s : undefined;
      });
      expect(after).toMatchObject({ delivered: 5, dropped: 0, healthy: true });
      await until('the subscriber', () => (received.length >= 5 ? true : undefined));
      const got = received.map((m) => JSON.parse(JSON.parse(m.content.toString())['oslo.message']));
      // At least once: a message whose confirm was lost with the connection may come twice, never out of order.
      const firsts = got.filter((n, i) => got.findIndex((o) => o.message_id === n.message_id) === i);
      expect(firsts.map(({ _unique_id: _u, ...n }) => n)).toEqual(sent);
      expect(sent.map((n) => n.event_type)).toEqual([
        'image.create',
        'image.update',
        'image.member.create',
        'image.member.update',
        'image.delete',
      ]);
    } finally {
      await ch.deleteExchange(run).catch(() => undefined);
      await conn.close();
    }
  }, 60_000);

  it('brokers that never answer: the API serves, every sink retries and counts, nothing crashes', async () => {
    const [a, b, c] = await Promise.all([freePort(), freePort(), freePort()]);
    const t = await startTestApp({
      GLINT_AUTH: 'trusted',
      GLINT_NOTIFY: `nats://127.0.0.1:${a},amqp://guest:guest@127.0.0.1:${b},redis://127.0.0.1:${c}`,
    });
    apps.push(t);
    await imageLifecycle(t);
    await httpStillServes(t);
    const res = await until('failed attempts on every sink', async () => {
      const r = await t.http.get('/health/notifications').expect(200);
      return r.body.sinks.every((s: { retried: number }) => s.retried > 0) ? r : undefined;
    });
    for (const s of res.body.sinks) {
      expect(s).toMatchObject({ delivered: 0, dropped: 0, pending: LIFECYCLE.length, healthy: false });
      expect(s.last_error).toEqual(expect.any(String));
    }
    await httpStillServes(t);
  });

  it('RabbitMQ closing the connection: events wait, then arrive in order on a new connection', async () => {
    const run = runId('amqp-drop');
    const conn = await amqp.connect(AMQP);
    const ch = await conn.createChannel();
    const received: amqp.ConsumeMessage[] = [];
    try {
      await ch.assertExchange(run, 'topic', { durable: false, autoDelete: false });
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, run, 'notifications.*');
      await ch.consume(q.queue, (m) => m && received.push(m), { noAck: true });
      const t = await startTestApp({
        GLINT_AUTH: 'trusted',
        GLINT_NOTIFY: `${AMQP}?exchange=${run}&default_queue=false`,
      });
      apps.push(t);
      const sent = recordBus(t);
      const id = await createImage(t);
      await until('first delivery', async () =>
        (await sinkStatus(t, 'amqp')).delivered === 1 ? true : undefined,
      );

      // The broker itself closes Glint's connection (connection.close), as on a node restart.
      const { stdout } = await promisify(execFile)('rabbitmqctl', [
        '-q',
        'list_connections',
        'pid',
        'client_properties',
      ]);
      const line = stdout.split('\n').find((l) => l.includes(`exchange=${run}`));
      expect(line).toBeDefined();
      await promisify(execFile)('rabbitmqctl', [
        '-q',
        'close_connection',
        line!.split('\t')[0],
        'glint test',
      ]);
      await rename(t, id, 'saving');
      await rename(t, id, 'active');
      await httpStillServes(t);

      const after = await until('delivery on a new connection', async () => {
        const s = await sinkStatus(t, 'amqp');
        return s.pending === 0 && s.delivered === 3 ? s : undefined;
      });
      expect(after.dropped).toBe(0);
      await until('the consumer', () => (received.length >= 3 ? true : undefined));
      const ids = received.map(
        (m) => JSON.parse(JSON.parse(m.content.toString())['oslo.message']).message_id,
      );
      // At least once: a message whose confirm was lost with the connection may come twice, never out of order.
      expect([...new Set(ids)]).toEqual(sent.map((n) => n.message_id));
    } finally {
      await ch.deleteExchange(run).catch(() => undefined);
      await conn.close();
    }
  }, 60_000);
});
