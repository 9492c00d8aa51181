import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { NOTIFICATION_EVENT, osloTimestamp } from './notification.js';
import type { Notification, NotificationPriority } from './notification.js';

/**
 * Sends Glance's notifications. Callers give the event type and payload; the notifier wraps
 * them in oslo.messaging's envelope, drops the ones `disabled_notifications` names (an event type
 * or a group prefix such as `image` or `image.member`), and hands the rest to the in-process bus,
 * where sinks (the log, brokers) pick them up. It never throws into the caller: a notification
 * is a side effect of a change that has already happened.
 */
@Injectable()
export class Notifier {
  private readonly disabled: string[];
  private readonly publisherId: string;

  constructor(
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.disabled = config.glance.disabled_notifications;
    this.publisherId = config.glance.default_publisher_id;
  }

  isEnabled(eventType: string): boolean {
    return !this.disabled.some((d) => eventType === d || eventType.startsWith(`${d}.`));
  }

  notify(
    eventType: string,
    payload: unknown,
    priority: NotificationPriority = 'INFO',
  ): Notification | undefined {
    if (!this.isEnabled(eventType)) return undefined;
    const notification: Notification = {
      message_id: randomUUID(),
      publisher_id: this.publisherId,
      event_type: eventType,
      priority,
      timestamp: osloTimestamp(new Date()),
      payload,
    };
    this.events.emit(NOTIFICATION_EVENT, notification);
    return notification;
  }
}
