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

/** Chooses the transport of each broker sink (a seam for unit tests). */
export const TRANSPORT_FACTORY = Symbol('TRANSPORT_FACTORY');
export type TransportFactory = (spec: BrokerSinkSpec) => NotificationTransport;

/**
 * Carries the bus's notifications to the brokers `GLINT_NOTIFY` names. The bus handler only
 * enqueues (the Notifier is called after the change is committed, and a broker must never slow
 * or fail the request); each sink has its own queue, so a dead broker delays only itself.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationShutdown {
  private readonly sinks: Array<{ type: string; queue: DeliveryQueue }>;
  private readonly logEnabled: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(TRANSPORT_FACTORY) factory: TransportFactory) {
    const { sinks, maxPending, retryMs } = config.notify;
    this.logEnabled = sinks.some((s) => s.type === 'log');
    this.sinks = sinks
      .filter((s): s is BrokerSinkSpec => s.type !== 'log')
      .map((spec) => ({
        type: spec.type,
        queue: new DeliveryQueue(spec.name, factory(spec), { maxPending, retryMs }),
      }));
  }

  @OnEvent(NOTIFICATION_EVENT)
  handle(notification: Notification): void {
    for (const { queue } of this.sinks) queue.enqueue(notification);
  }

  status(): SinkStatus[] {
    return [
      ...(this.logEnabled ? [{ sink: 'log', type: 'log' }] : []),
      ...this.sinks.map(({ type, queue }) => ({ sink: queue.name, type, ...queue.stats() })),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.sinks.map(({ queue }) => queue.close(SHUTDOWN_GRACE_MS)));
  }
}

export const defaultTransportFactory: TransportFactory = createTransport;
