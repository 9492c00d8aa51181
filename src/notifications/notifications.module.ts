import { Global, Module } from '@nestjs/common';
import { Notifier } from './notifier.js';
import { LogNotificationSink } from './log.sink.js';
import { NotifyInterceptor } from './notify.interceptor.js';

@Global()
@Module({
  providers: [Notifier, LogNotificationSink, NotifyInterceptor],
  exports: [Notifier, NotifyInterceptor],
})
export class NotificationsModule {}
