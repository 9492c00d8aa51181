import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { connect as natsConnect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Notifier } from '../../src/notifications/notifier.js';
import { NOTIFICATION_EVENT } from '../../src/notifications/notification.js';
import type { Notification } from '../../src/notifications/notification.js';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { ThrowawayBroker, freePort, runId } from '../support/brokers.js';

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

/**
 * An image's life over HTTP: create, rename, a failed upload (ERROR priority, a string payload, as
 * Glance sends it), delete. Returns the image's id.
 * TODO(members-merge): share the image (POST /v2/images/{id}/members, then the member's PUT) between
 * the rename and the upload, and expect image.member.create/update in the lists below.
 * TODO(data-merge): the failed upload is still emitted through the Notifier, as PUT /file is not on
 * main yet; drive it with a PUT /file that fails once it is.
 */
async function imageLifecycle(t: TestApp): Promise<string> {
  const created = await t.http
    .post('/v2/images')
    .send({
      name: 'cirros-0.6.2',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'shared',
      tags: ['ci'],
      hw_disk_bus: 'virtio',
    })
    .expect(201);
  const id = created.body.id as string;
  await t.http
    .patch(`/v2/images/${id}`)
    .set('Content-Type', PATCH)
    .send(JSON.stringify([{ op: 'replace', path: '/name', value: 'cirros' }]))
    .expect(200);
  t.app
    .get(Notifier)
    .notify('image.upload', `Failed to upload image data for image ${id} due to internal error`, 'ERROR');
  await t.http.delete(`/v2/images/${id}`).expect(204);
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

    t = await startTestApp({
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
    redis?.disconnect();
  });

  it('delivers every event, in order, with each broker envelope', async () => {
    const sent = recordBus(t);
    const id = await imageLifecycle(t);
    // Glance's image payloads (§6.1): the image after each change, no locations, os_hidden or os_hash_*.
    const [create, update, , del] = sent.map((n) => n.payload as Record<string, unknown>);
    expect(Object.keys(create).sort()).toEqual(Object.keys(imagePayload(id)).sort());
    expect(create).toMatchObject({ id, name: 'cirros-0.6.2', status: 'queued', is_public: false });
    expect(create).toMatchObject({ properties: { hw_disk_bus: 'virtio' }, tags: ['ci'], deleted: false });
    expect(update).toMatchObject({ id, name: 'cirros', deleted: false, deleted_at: null });
    expect(del).toMatchObject({ id, name: 'cirros', status: 'deleted', deleted: true });
    expect(del.deleted_at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/));
    expect(sent.map((n) => `${n.event_type} ${n.priority}`)).toEqual([
      'image.create INFO',
      'image.update INFO',
      'image.upload ERROR',
      'image.delete INFO',
    ]);

    // Each sink delivers on its own; wait until every one has all four.
    await until('every sink', async () => {
      const r = await t.http.get('/health/notifications').expect(200);
      const brokers = r.body.sinks.filter((s: { type: string }) => s.type !== 'log');
      return brokers.every((s: { delivered: number }) => s.delivered === 4) ? true : undefined;
    });

    // NATS: a subject per event type, the notification itself as JSON, through JetStream.
    await until('NATS', () => (got.nats.length >= 4 ? true : undefined));
    expect(got.nats.map((m) => m.subject)).toEqual(sent.map((n) => `${prefix}.${n.event_type}`));
    expect(got.nats.map((m) => m.body)).toEqual(sent);
    const info = await jsApi(nc, `STREAM.INFO.${stream}`);
    expect(info.config.subjects).toEqual([`${prefix}.>`]);
    expect(info.state.messages).toBe(4);

    // RabbitMQ: oslo.messaging's v2 envelope on the control exchange, routing key by priority.
    await until('RabbitMQ', () => (got.amqp.length >= 4 ? true : undefined));
    const mine = got.amqp.filter((m) => m.fields.routingKey.startsWith('notifications.'));
    expect(mine.map((m) => m.fields.routingKey)).toEqual([
      'notifications.info',
      'notifications.info',
      'notifications.error',
      'notifications.info',
    ]);
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
    expect([infoQueue.messageCount, errorQueue.messageCount]).toEqual([3, 1]);
    const queued = await amqpCh.get(`${osloTopic}.error`, { noAck: true });
    expect(queued && JSON.parse(JSON.parse(queued.content.toString())['oslo.message']).event_type).toBe(
      'image.upload',
    );

    // Redis: PUBLISH on a channel per event type, and XADD to a stream.
    await until('Redis pub/sub', () => (got.redis.length >= 4 ? true : undefined));
    expect(got.redis.map((m) => m.channel)).toEqual(sent.map((n) => `${prefix}.${n.event_type}`));
    expect(got.redis.map((m) => m.body)).toEqual(sent);
    const entries = await redis.xrange(run, '-', '+');
    expect(entries).toHaveLength(4);
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
      expect(s).toMatchObject({ delivered: 4, retried: 0, dropped: 0, pending: 0, healthy: true });
    }
    expect(JSON.stringify(res.body)).not.toContain('guest:guest');
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
      t = await startTestApp({ GLINT_NOTIFY: `${AMQP}?exchange=${run}&topic=${run}` });
      await imageLifecycle(t);
      const status = await until('delivery', async () => {
        const s = await sinkStatus(t!, 'amqp');
        return s.delivered === 4 ? s : undefined;
      });
      expect(status).toMatchObject({ dropped: 0, pending: 0, healthy: true });
      expect((await ch.checkQueue(`${run}.info`)).messageCount).toBe(3);
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
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const b of brokers) await b.dispose();
  });

  async function httpStillServes(t: TestApp): Promise<void> {
    const started = Date.now();
    await t.http.get('/healthcheck').expect(200, 'OK');
    await t.http.get('/v2/info/import').expect(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  }

  it('NATS JetStream: events emitted while it is down are delivered, once and in order, when it returns', async () => {
    const nats = await ThrowawayBroker.start('nats');
    brokers.push(nats);
    const run = runId('outage');
    const stream = run.replace(/[^A-Za-z0-9_-]/g, '_');
    const t = await startTestApp({
      GLINT_NOTIFY: `nats://127.0.0.1:${nats.port}?subject_prefix=${run}&jetstream=true&stream=${stream}`,
      GLINT_NOTIFY_RETRY_MS: '60000',
    });
    apps.push(t);
    const sent = recordBus(t);
    const notifier = t.app.get(Notifier);
    const id = randomUUID();

    notifier.notify('image.create', imagePayload(id));
    await until('first delivery', async () =>
      (await sinkStatus(t, 'nats')).delivered === 1 ? true : undefined,
    );

    await nats.down();
    notifier.notify('image.update', imagePayload(id, { status: 'saving' }));
    notifier.notify('image.update', imagePayload(id, { status: 'active', size: 1024 }));
    await httpStillServes(t);
    const during = await until('a failed attempt', async () => {
      const s = await sinkStatus(t, 'nats');
      return (s.retried as number) > 0 ? s : undefined;
    });
    expect(during).toMatchObject({ delivered: 1, pending: 2, dropped: 0, healthy: false });
    expect(during.last_error).toEqual(expect.any(String));
    await httpStillServes(t);

    await nats.up();
    const after = await until('delivery after the restart', async () => {
      const s = await sinkStatus(t, 'nats');
      return s.pending === 0 ? s : undefined;
    });
    expect(after).toMatchObject({ delivered: 3, dropped: 0, healthy: true });

    const nc = await natsConnect({ servers: `127.0.0.1:${nats.port}` });
    try {
      const info = await jsApi(nc, `STREAM.INFO.${stream}`);
      expect(info.state.messages).toBe(3);
      const stored = [];
      for (let seq = 1; seq <= 3; seq++) {
        const { message } = await jsApi(nc, `STREAM.MSG.GET.${stream}`, { seq });
        stored.push(JSON.parse(Buffer.from(message.data, 'base64').toString('utf8')));
      }
      expect(stored).toEqual(sent);
    } finally {
      await nc.close();
    }
  }, 60_000);

  it('Redis: events beyond the queue bound or the retry time are dropped and counted; later ones flow again', async () => {
    const redisBroker = await ThrowawayBroker.start('redis');
    brokers.push(redisBroker);
    const run = runId('drop');
    const t = await startTestApp({
      GLINT_NOTIFY: `redis://127.0.0.1:${redisBroker.port}?stream=${run}`,
      GLINT_NOTIFY_MAX_PENDING: '2',
      GLINT_NOTIFY_RETRY_MS: '1500',
    });
    apps.push(t);
    const sent = recordBus(t);
    const notifier = t.app.get(Notifier);
    const id = randomUUID();

    notifier.notify('image.create', imagePayload(id));
    await until('first delivery', async () =>
      (await sinkStatus(t, 'redis')).delivered === 1 ? true : undefined,
    );

    await redisBroker.down();
    for (const status of ['saving', 'active', 'deactivated'])
      notifier.notify('image.update', imagePayload(id, { status }));
    const full = await sinkStatus(t, 'redis');
    expect(full).toMatchObject({ pending: 2, dropped: 1 }); // the third found the queue full
    await httpStillServes(t);
    const expired = await until('the retry bound', async () => {
      const s = await sinkStatus(t, 'redis');
      return s.dropped === 3 ? s : undefined;
    });
    expect(expired).toMatchObject({ delivered: 1, pending: 0, healthy: false });
    await httpStillServes(t);

    await redisBroker.up();
    notifier.notify('image.delete', imagePayload(id, { status: 'deleted', deleted: true }));
    await until('delivery after the restart', async () =>
      (await sinkStatus(t, 'redis')).delivered === 2 ? true : undefined,
    );
    expect(await sinkStatus(t, 'redis')).toMatchObject({ dropped: 3, pending: 0, healthy: true });
    const client = new Redis({ host: '127.0.0.1', port: redisBroker.port });
    try {
      const entries = await client.xrange(run, '-', '+');
      // The server came back empty (no persistence): only the event sent after it returned is there.
      expect(entries.map(([, f]) => f[f.indexOf('message_id') + 1])).toEqual([sent[4].message_id]);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('brokers that never answer: the API serves, every sink retries and counts, nothing crashes', async () => {
    const [a, b, c] = await Promise.all([freePort(), freePort(), freePort()]);
    const t = await startTestApp({
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
      expect(s).toMatchObject({ delivered: 0, dropped: 0, pending: 4, healthy: false });
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
      const t = await startTestApp({ GLINT_NOTIFY: `${AMQP}?exchange=${run}&default_queue=false` });
      apps.push(t);
      const sent = recordBus(t);
      const notifier = t.app.get(Notifier);
      const id = randomUUID();
      notifier.notify('image.create', imagePayload(id));
      await until('first delivery', async () =>
        (await sinkStatus(t, 'amqp')).delivered === 1 ? true : undefined,
      );

      // Only Glint's connection for this run is closed; the shared broker keeps running.
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
      notifier.notify('image.update', imagePayload(id, { status: 'saving' }));
      notifier.notify('image.update', imagePayload(id, { status: 'active' }));
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
