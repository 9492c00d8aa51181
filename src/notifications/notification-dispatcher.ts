import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { BrokerSinkSpec } from '../config/notify-sinks.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { DeliveryStats, NotificationTransport } from './delivery-queue.js';
import { createTransport } from './drivers/index.js';
import { NOTIFICATION_EVENT } from './notification.js';
import type { Notification } from './notification.js';

/** How long a stopping process waits for pending notifications to leave. */
const SHUTDOWN_GRACE_MS = 5_000;

/** What `GET /health/notifications` reports for one sink. */
export interface SinkStatus extends Partial<DeliveryStats> {
  sink: string;
  type: string;
}

/** Chooses transports for the broker sinks; tests replace it to inject fakes. */
export const TRANSPORT_FACTORY = Symbol('TRANSPORT_FACTORY');
export type TransportFactory = (spec: BrokerSinkSpec) => NotificationTransport;

/**
 * Carries the bus's notifications to the brokers `GLINT_NOTIFY` names. The bus handler only
 * enqueues (the Notifier is called after the change is committed, and a broker must never slow
 * or fail the request); each sink has its own queue, so a dead broker delays only itself.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationShutdown {
  private readonly queues: DeliveryQueue[];
  private readonly logEnabled: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(TRANSPORT_FACTORY) factory: TransportFactory) {
    const { sinks, maxPending, retryMs } = config.notify;
    this.logEnabled = sinks.some((s) => s.type === 'log');
    this.queues = sinks
      .filter((s): s is BrokerSinkSpec => s.type !== 'log')
      .map((spec) => new DeliveryQueue(spec.name, factory(spec), { maxPending, retryMs }));
    this.types = new Map(sinks.map((s) => [s.name, s.type]));
  }

  private readonly types: Map<string, string>;

  @OnEvent(NOTIFICATION_EVENT)
  handle(notification: Notification): void {
    for (const queue of this.queues) queue.enqueue(notification);
  }

  status(): SinkStatus[] {
    return [
      ...(this.logEnabled ? [{ sink: 'log', type: 'log' }] : []),
      ...this.queues.map((q) => ({ sink: q.name, type: this.types.get(q.name) ?? 'unknown', ...q.stats() })),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close(SHUTDOWN_GRACE_MS)));
  }
}

export const defaultTransportFactory: TransportFactory = createTransport;
