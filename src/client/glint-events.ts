import { connect as natsConnect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import type { GlintEventPayloads, GlintEventType, GlintNotification } from './contract.js';

/**
 * oslo.messaging's v2 envelope holds the notification as a string, with the transport's
 * `_unique_id` (for duplicate detection) added; the handlers get the notification alone.
 */
function unwrapOslo(raw: string): string {
  try {
    const envelope = JSON.parse(raw) as Record<string, unknown>;
    if (typeof envelope['oslo.message'] !== 'string') return raw;
    const { _unique_id: _id, ...notification } = JSON.parse(envelope['oslo.message']) as Record<
      string,
      unknown
    >;
    return JSON.stringify(notification);
  } catch {
    return raw;
  }
}

export interface GlintEventsOptions {
  /** The broker of one of Glint's GLINT_NOTIFY sinks: nats://, amqp[s]:// or redis[s]://. */
  url: string;
  /** NATS subject prefix or Redis channel of that sink (default `glint.notifications`). */
  prefix?: string;
  /** AMQP control exchange and topic of that sink (defaults `glance`, `notifications`). */
  exchange?: string;
  topic?: string;
}

type Handler<E extends GlintEventType> = (
  payload: GlintEventPayloads[E],
  notification: GlintNotification<E>,
) => void;

/**
 * Glint's notifications, received from a broker sink and handed out by event type:
 * `events.on('image.create', (image) => …)`. NATS and Redis carry the notification as JSON;
 * AMQP carries oslo.messaging's v2 envelope, unwrapped here. Delivery is at least once.
 */
export class GlintEvents {
  private readonly handlers = new Map<string, Array<Handler<never>>>();
  private closer: () => Promise<void> = () => Promise.resolve();

  private constructor() {}

  static async connect(options: GlintEventsOptions): Promise<GlintEvents> {
    const events = new GlintEvents();
    const url = new URL(options.url);
    const prefix = options.prefix ?? 'glint.notifications';
    const deliver = (raw: string) => events.deliver(raw);
    if (url.protocol === 'nats:') {
      const nc: NatsConnection = await natsConnect({
        servers: `${url.hostname}:${url.port || 4222}`,
        ...(url.username && url.password
          ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
          : url.username
            ? { token: decodeURIComponent(url.username) }
            : {}),
      });
      nc.subscribe(`${prefix}.>`, { callback: (_err, m) => deliver(m.string()) });
      await nc.flush();
      events.closer = () => nc.close();
    } else if (url.protocol === 'amqp:' || url.protocol === 'amqps:') {
      const conn = await amqp.connect(options.url);
      const ch = await conn.createChannel();
      const exchange = options.exchange ?? 'glance';
      // Glint declares its exchange; a subscriber only binds, whatever flags it was made with.
      await ch.checkExchange(exchange);
      const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      await ch.bindQueue(q.queue, exchange, `${options.topic ?? 'notifications'}.*`);
      await ch.consume(
        q.queue,
        (m) => {
          if (!m) return;
          deliver(unwrapOslo(m.content.toString('utf8')));
        },
        { noAck: true },
      );
      events.closer = async () => {
        await conn.close();
      };
    } else if (url.protocol === 'redis:' || url.protocol === 'rediss:') {
      const redis = new Redis(options.url, { lazyConnect: true });
      await redis.connect();
      redis.on('pmessage', (_p, _channel, message: string) => deliver(message));
      await redis.psubscribe(`${prefix}.*`);
      events.closer = () => {
        redis.disconnect();
        return Promise.resolve();
      };
    } else {
      throw new Error(`unsupported scheme "${url.protocol}" (expected nats, amqp, amqps, redis or rediss)`);
    }
    return events;
  }

  /** Calls `handler` for each notification of this type, in the order the broker delivers them. */
  on<E extends GlintEventType>(event: E, handler: Handler<E>): this {
    const list = this.handlers.get(event) ?? [];
    list.push(handler);
    this.handlers.set(event, list);
    return this;
  }

  /** Calls `handler` for every notification. */
  onAny(handler: (notification: GlintNotification) => void): this {
    const list = this.handlers.get('*') ?? [];
    list.push((_p: unknown, n: GlintNotification) => handler(n));
    this.handlers.set('*', list);
    return this;
  }

  async close(): Promise<void> {
    await this.closer();
  }

  private deliver(raw: string): void {
    let n: GlintNotification;
    try {
      n = JSON.parse(raw) as GlintNotification;
    } catch {
      return; // not one of Glint's notifications
    }
    if (!n || typeof n.event_type !== 'string') return;
    for (const h of [...(this.handlers.get(n.event_type) ?? []), ...(this.handlers.get('*') ?? [])]) {
      (h as Handler<GlintEventType>)(n.payload, n);
    }
  }
}
