/**
 * Notification throughput per sink on the local brokers: N image.update notifications through the
 * real delivery queue and transport, from the first enqueue to the last broker ack.
 * `npm run -s build && node dist/bench/notify-sinks.js [N]` (NATS 4222 with JetStream, RabbitMQ
 * 5672 guest/guest, Redis 6379 on 127.0.0.1; names are unique to the run and removed after).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { parseNotifySinks } from '../src/config/notify-sinks.js';
import type { BrokerSinkSpec } from '../src/config/notify-sinks.js';
import { DeliveryQueue } from '../src/notifications/delivery-queue.js';
import { createTransport } from '../src/notifications/drivers/index.js';
import { osloTimestamp } from '../src/notifications/notification.js';

const N = Number(process.argv[2] ?? 2000);
const run = `glint-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
const stream = run.replace(/-/g, '_');
const urls = [
  `nats://127.0.0.1:4222?subject_prefix=${run}`,
  `nats://127.0.0.1:4222?subject_prefix=${run}.js&jetstream=true&stream=${stream}`,
  `amqp://guest:guest@127.0.0.1:5672?exchange=${run}&default_queue=false`,
  `redis://127.0.0.1:6379?channel=${run}`,
  `redis://127.0.0.1:6379?stream=${run}`,
];

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const image = { id: randomUUID(), name: 'bench', status: 'active', size: 1024, properties: {}, tags: [] };
  for (const spec of parseNotifySinks(urls.join(',')) as BrokerSinkSpec[]) {
    const queue = new DeliveryQueue(spec.name, createTransport(spec), { maxPending: N, retryMs: 60_000 });
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      queue.enqueue({
        message_id: randomUUID(),
        publisher_id: 'image.localhost',
        event_type: 'image.update',
        priority: 'INFO',
        timestamp: osloTimestamp(new Date()),
        payload: image,
      });
    }
    const enqueued = performance.now() - started;
    while (queue.stats().pending) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - started;
    const s = queue.stats();
    console.log(
      `${spec.name.replace(run, '<run>').replace(stream, '<stream>')}: ${N} in ${ms.toFixed(0)} ms = ` +
        `${Math.round((N / ms) * 1000)}/s (enqueue ${(enqueued / N).toFixed(4)} ms each; delivered ${s.delivered}, dropped ${s.dropped})`,
    );
    await queue.close(0);
  }
  const nc = await connect({ servers: '127.0.0.1:4222' });
  await nc.request(`$JS.API.STREAM.DELETE.${stream}`, '', { timeout: 5_000 }).catch(() => undefined);
  await nc.close();
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
  await (await conn.createChannel()).deleteExchange(run);
  await conn.close();
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  await redis.del(run);
  redis.disconnect();
}

await main();
