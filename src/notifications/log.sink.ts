import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { NOTIFICATION_EVENT } from './notification.js';
import type { Notification } from './notification.js';

/** Writes every notification to the log (oslo.messaging's `log` driver). */
@Injectable()
export class LogNotificationSink {
  private readonly logger = new Logger('Notifications');

  @OnEvent(NOTIFICATION_EVENT)
  handle(notification: Notification): void {
    this.logger.log({ notification }, `${notification.event_type} ${notification.priority}`);
  }
}
