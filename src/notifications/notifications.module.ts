import { Global, Module } from '@nestjs/common';
import { Notifier } from './notifier.js';
import { LogNotificationSink } from './log.sink.js';
import { NotifyInterceptor } from './notify.interceptor.js';
import {
  NotificationDispatcher,
  TRANSPORT_FACTORY,
  defaultTransportFactory,
} from './notification-dispatcher.js';
import { NotificationsHealthController } from './notifications-health.controller.js';

@Global()
@Module({
  controllers: [NotificationsHealthController],
  providers: [
    Notifier,
    LogNotificationSink,
    NotifyInterceptor,
    NotificationDispatcher,
    { provide: TRANSPORT_FACTORY, useValue: defaultTransportFactory },
  ],
  exports: [Notifier, NotifyInterceptor, NotificationDispatcher],
})
export class NotificationsModule {}
