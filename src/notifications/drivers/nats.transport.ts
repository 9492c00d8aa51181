import { connect, headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsSinkSpec } from '../../config/notify-sinks.js';
import type { NotificationTransport } from '../delivery-queue.js';
import type { Notification } from '../notification.js';

const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

interface JsApiError {
  error?: { code: number; err_code?: number; description: string };
}

/**
 * NATS: one subject per event type, `<prefix>.<event_type>`, the body being the oslo
 * notification as JSON. Core NATS is confirmed with a flush (the server has read the message);
 * with JetStream the publish is a request answered by the stream's ack, and `Nats-Msg-Id` set to
 * the notification's message_id lets the stream drop the duplicate a retry after a lost ack sends.
 *
 * The client's own reconnect is off: the delivery queue decides when to try again, so a message
 * is never parked in the client's buffer where no one counts it.
 */
export class NatsTransport implements NotificationTransport {
  private nc?: Promise<NatsConnection>;
  private streamReady = false;

  constructor(private readonly spec: NatsSinkSpec) {}

  async send(batch: readonly Notification[]): Promise<void> {
    const nc = await this.connection();
    if (!this.spec.jetstream) {
      for (const n of batch) nc.publish(this.subject(n), JSON.stringify(n));
      await nc.flush();
      return;
    }
    if (!this.streamReady) await this.ensureStream(nc);
    const acks = batch.map((n) => {
      const h = headers();
      h.set('Nats-Msg-Id', n.message_id);
      return nc.request(this.subject(n), JSON.stringify(n), { timeout: REQUEST_TIMEOUT_MS, headers: h });
    });
    for (const reply of await Promise.all(acks)) {
      const ack = reply.json<JsApiError>();
      if (ack.error) throw new Error(`JetStream refused the message: ${ack.error.description}`);
    }
  }

  private subject(n: Notification): string {
    return `${this.spec.subjectPrefix}.${n.event_type}`;
  }

  async reset(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.streamReady = false;
    await nc?.then((c) => c.close()).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.reset();
  }

  private connection(): Promise<NatsConnection> {
    if (!this.nc) {
      const pending = connect({
        servers: this.spec.servers,
        user: this.spec.user,
        pass: this.spec.pass,
        token: this.spec.token,
        name: 'glint-notifier',
        reconnect: false,
        timeout: CONNECT_TIMEOUT_MS,
      });
      this.nc = pending;
      pending.then(
        (c) =>
          void c.closed().then(() => {
            if (this.nc === pending) this.nc = undefined;
          }),
        () => {
          if (this.nc === pending) this.nc = undefined;
        },
      );
    }
    return this.nc;
  }

  /** Creates the stream over `<prefix>.>` unless one of that name exists (its settings are then the operator's). */
  private async ensureStream(nc: NatsConnection): Promise<void> {
    const name = this.spec.stream;
    const info = (
      await nc.request(`$JS.API.STREAM.INFO.${name}`, '', { timeout: REQUEST_TIMEOUT_MS })
    ).json<JsApiError>();
    if (info.error?.code === 404) {
      const config = {
        name,
        subjects: [`${this.spec.subjectPrefix}.>`],
        storage: 'file',
        retention: 'limits',
      };
      const created = (
        await nc.request(`$JS.API.STREAM.CREATE.${name}`, JSON.stringify(config), {
          timeout: REQUEST_TIMEOUT_MS,
        })
      ).json<JsApiError>();
      if (created.error)
        throw new Error(`cannot create JetStream stream ${name}: ${created.error.description}`);
    } else if (info.error) {
      throw new Error(`JetStream stream ${name}: ${info.error.description}`);
    }
    this.streamReady = true;
  }
}
