import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator.js';
import { NotificationDispatcher } from './notification-dispatcher.js';
import type { SinkStatus } from './notification-dispatcher.js';

@ApiTags('health')
@Public()
@Controller('health')
export class NotificationsHealthController {
  constructor(private readonly dispatcher: NotificationDispatcher) {}

  @Get('notifications')
  @ApiOperation({
    summary: 'Notification sinks and their counters',
    description:
      'One entry per GLINT_NOTIFY sink (passwords hidden). Broker sinks report delivered, retried ' +
      '(failed attempts followed by another), dropped (queue full, retried past GLINT_NOTIFY_RETRY_MS, ' +
      'or left at shutdown), pending, healthy (false while the broker fails) and the last error. ' +
      'Always 200: a broker outage does not stop the API, so it is not a readiness failure.',
  })
  @ApiResponse({
    status: 200,
    description: '{"sinks":[{"sink","type","delivered","retried","dropped","pending","healthy",…}]}',
  })
  notifications(): { sinks: SinkStatus[] } {
    return { sinks: this.dispatcher.status() };
  }
}
