import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/app-config.js';
import type { BrokerSinkSpec } from '../config/notify-sinks.js';
import type { NotificationTransport } from './delivery-queue.js';
import type { Notification } from './notification.js';
import { NotificationDispatcher } from './notification-dispatcher.js';

function event(id: string): Notification {
  return {
    message_id: id,
    publisher_id: 'image.localhost',
    event_type: 'image.create',
    priority: 'INFO',
    timestamp: '2026-11-26 21:00:00.000000',
    payload: {},
  };
}

describe('NotificationDispatcher', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('gives every broker sink its own queue, so a dead broker holds up only itself', async () => {
    const received = new Map<string, string[]>();
    const factory = (spec: BrokerSinkSpec): NotificationTransport => {
      received.set(spec.type, []);
      return {
        send: (batch) =>
          spec.type === 'redis'
            ? Promise.reject(new Error('down'))
            : Promise.resolve(void received.get(spec.type)!.push(...batch.map((n) => n.message_id))),
        reset: () => Promise.resolve(),
        close: () => Promise.resolve(),
      };
    };
    const config = loadConfig({ GLINT_NOTIFY: 'log,nats://n,redis://r,amqp://a' });
    const dispatcher = new NotificationDispatcher(config, factory);
    dispatcher.handle(event('a'));
    dispatcher.handle(event('b'));
    await vi.waitFor(() => expect(received.get('amqp')).toEqual(['a', 'b']));
    expect(received.get('nats')).toEqual(['a', 'b']);
    const status = dispatcher.status();
    expect(status.map((s) => [s.sink, s.type])).toEqual([
      ['log', 'log'],
      ['nats://n', 'nats'],
      ['redis://r', 'redis'],
      ['amqp://a', 'amqp'],
    ]);
    expect(status[2]).toMatchObject({ delivered: 0, pending: 2, healthy: false, last_error: 'down' });
    expect(status[3]).toMatchObject({ delivered: 2, pending: 0, healthy: true });
    await dispatcher.onApplicationShutdown();
    expect(dispatcher.status()[2]).toMatchObject({ pending: 0, dropped: 2 });
  }, 15_000);
});
