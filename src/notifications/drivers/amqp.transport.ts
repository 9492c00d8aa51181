import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpSinkSpec } from '../../config/notify-sinks.js';
import type { NotificationTransport } from '../delivery-queue.js';
import type { Notification } from '../notification.js';

const CONNECT_TIMEOUT_MS = 5_000;

interface Session {
  conn: ChannelModel;
  /** Publishes; when it closes the session is over. */
  channel: ConfirmChannel;
  /** Declarations, which the broker may refuse by closing the channel (406); reopened on demand. */
  admin?: Channel;
  queues: Set<string>;
}

function preconditionFailed(err: unknown): boolean {
  return (err as { code?: number }).code === 406;
}

/**
 * The body oslo.messaging's `messagingv2` driver puts on the wire: the notification serialized to
 * a string inside the 2.0 envelope, with the `_unique_id` its listeners drop duplicates by. oslo
 * draws a fresh one per send; ours comes from message_id so that a retry after a lost confirm
 * carries the same id and is recognised as a duplicate.
 */
export function osloV2Body(n: Notification): Buffer {
  const message = { ...n, _unique_id: n.message_id.replace(/-/g, '') };
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }));
}

/** `notifications.info`, `notifications.error`…: oslo lower-cases the priority. */
export function osloRoutingKey(topic: string, n: Notification): string {
  return `${topic}.${n.priority.toLowerCase()}`;
}

/**
 * RabbitMQ, as oslo.messaging (kombu) sends notifications, so ceilometer and other oslo
 * listeners read them: a topic exchange (Glance's control exchange `glance`), routing key
 * `<topic>.<priority>`, JSON with kombu's message properties, and, unless turned off, a queue
 * named after the routing key bound to it so that nothing is lost before a consumer binds.
 * Publishing uses a confirm channel: a notification counts as delivered once the broker acks it.
 */
export class AmqpTransport implements NotificationTransport {
  private session?: Promise<Session>;

  constructor(private readonly spec: AmqpSinkSpec) {}

  async send(batch: readonly Notification[]): Promise<void> {
    const s = await this.connection();
    for (const n of batch) {
      const routingKey = osloRoutingKey(this.spec.topic, n);
      if (this.spec.defaultQueue && !s.queues.has(routingKey)) {
        await this.declare(
          s,
          (ch) => ch.assertQueue(routingKey, { durable: this.spec.durable, autoDelete: false }),
          (ch) => ch.checkQueue(routingKey),
        );
        await this.declare(s, (ch) => ch.bindQueue(routingKey, this.spec.exchange, routingKey));
        s.queues.add(routingKey);
      }
    }
    await Promise.all(
      batch.map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            s.channel.publish(
              this.spec.exchange,
              osloRoutingKey(this.spec.topic, n),
              osloV2Body(n),
              // kombu's defaults for a JSON message: persistent, priority 0, utf-8, empty headers.
              {
                contentType: 'application/json',
                contentEncoding: 'utf-8',
                deliveryMode: 2,
                priority: 0,
                headers: {},
              },
              (err: Error | null) => (err ? reject(err) : resolve()),
            );
          }),
      ),
    );
  }

  async reset(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.then((s) => s.conn.close()).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.reset();
  }

  private connection(): Promise<Session> {
    if (!this.session) {
      const pending = this.open();
      this.session = pending;
      pending.then(
        (s) => {
          const forget = () => {
            if (this.session === pending) this.session = undefined;
          };
          s.conn.on('close', forget);
          s.channel.on('close', forget);
        },
        () => {
          if (this.session === pending) this.session = undefined;
        },
      );
    }
    return this.session;
  }

  private async open(): Promise<Session> {
    const conn = await amqp.connect(this.spec.url, {
      timeout: CONNECT_TIMEOUT_MS,
      // Operators (rabbitmqctl list_connections client_properties) see which sink this is.
      clientProperties: { connection_name: `glint-notifier ${this.spec.name}` },
    });
    // Errors also arrive as 'close'; without a listener an 'error' event would crash the process.
    conn.on('error', () => undefined);
    try {
      const channel = await conn.createConfirmChannel();
      channel.on('error', () => undefined);
      const session: Session = { conn, channel, queues: new Set() };
      await this.declare(
        session,
        (ch) =>
          ch.assertExchange(this.spec.exchange, 'topic', { durable: this.spec.durable, autoDelete: false }),
        (ch) => ch.checkExchange(this.spec.exchange),
      );
      return session;
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Runs a declaration on the admin channel. When another service declared the entity with other
   * flags (406 PRECONDITION_FAILED, which closes the channel), `existing` checks it is there and
   * it is used as it is, as oslo.messaging falls back to doing.
   */
  private async declare<T>(
    s: Session,
    declare: (ch: Channel) => Promise<T>,
    existing?: (ch: Channel) => Promise<unknown>,
  ): Promise<void> {
    try {
      await declare(await this.admin(s));
    } catch (err) {
      if (!existing || !preconditionFailed(err)) throw err;
      s.admin = undefined;
      await existing(await this.admin(s));
    }
  }

  private async admin(s: Session): Promise<Channel> {
    if (!s.admin) {
      const ch = await s.conn.createChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => {
        if (s.admin === ch) s.admin = undefined;
      });
      s.admin = ch;
    }
    return s.admin;
  }
}
