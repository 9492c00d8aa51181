import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { NOTIFICATION_EVENT } from './notification.js';
import type { Notification } from './notification.js';

/** Writes every notification to the log (oslo.messaging's `log` driver) when GLINT_NOTIFY lists `log`. */
@Injectable()
export class LogNotificationSink {
  private readonly logger = new Logger('Notifications');
  private readonly enabled: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.enabled = config.notify.sinks.some((s) => s.type === 'log');
  }

  @OnEvent(NOTIFICATION_EVENT)
  handle(notification: Notification): void {
    if (this.enabled)
      this.logger.log({ notification }, `${notification.event_type} ${notification.priority}`);
  }
}
