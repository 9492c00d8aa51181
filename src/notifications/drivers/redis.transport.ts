import { Redis } from 'ioredis';
import type { RedisSinkSpec } from '../../config/notify-sinks.js';
import type { NotificationTransport } from '../delivery-queue.js';
import type { Notification } from '../notification.js';

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Redis: PUBLISH the notification JSON on `<channel>.<event_type>` (subscribers use PSUBSCRIBE
 * `<channel>.*`), or XADD it to a stream with `event_type`, `priority`, `message_id` and `message`
 * fields. Pub/sub has no acknowledgement: a PUBLISH the server accepted counts as delivered even
 * when nobody listens; use a stream when consumers may be away.
 *
 * ioredis's offline queue and reconnect are off so that a command fails at once while the server
 * is away; the delivery queue owns retries.
 */
export class RedisTransport implements NotificationTransport {
  private client?: Promise<Redis>;

  constructor(private readonly spec: RedisSinkSpec) {}

  async send(batch: readonly Notification[]): Promise<void> {
    const client = await this.connection();
    // One pipeline: the commands go out in order in one write and come back in one read.
    const pipeline = client.pipeline();
    for (const n of batch) {
      const json = JSON.stringify(n);
      if (this.spec.mode === 'channel') {
        pipeline.publish(`${this.spec.target}.${n.event_type}`, json);
        continue;
      }
      const fields = [
        'event_type',
        n.event_type,
        'priority',
        n.priority,
        'message_id',
        n.message_id,
        'message',
        json,
      ];
      if (this.spec.maxlen) pipeline.xadd(this.spec.target, 'MAXLEN', '~', this.spec.maxlen, '*', ...fields);
      else pipeline.xadd(this.spec.target, '*', ...fields);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed || results.length !== batch.length)
      throw failed?.[0] ?? new Error('Redis did not answer every command');
  }

  async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.then((c) => c.disconnect()).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.reset();
  }

  private connection(): Promise<Redis> {
    if (!this.client) {
      const redis = new Redis({
        host: this.spec.host,
        port: this.spec.port,
        db: this.spec.db,
        username: this.spec.username,
        password: this.spec.password,
        ...(this.spec.tls ? { tls: {} } : {}),
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: CONNECT_TIMEOUT_MS,
        connectionName: 'glint-notifier',
      });
      // ioredis reports the cause (ECONNREFUSED…) as an 'error' event and rejects connect() with a
      // bare "Connection is closed"; keep the cause for the counters' last_error.
      let cause: Error | undefined;
      redis.on('error', (err: Error) => (cause = err));
      const pending = redis.connect().then(
        () => redis,
        (err: Error) => {
          throw cause ?? err;
        },
      );
      this.client = pending;
      redis.on('end', () => {
        if (this.client === pending) this.client = undefined;
      });
      pending.catch(() => {
        if (this.client === pending) this.client = undefined;
        redis.disconnect();
      });
    }
    return this.client;
  }
}
