import type { BrokerSinkSpec } from '../../config/notify-sinks.js';
import type { NotificationTransport } from '../delivery-queue.js';
import { AmqpTransport } from './amqp.transport.js';
import { NatsTransport } from './nats.transport.js';
import { RedisTransport } from './redis.transport.js';

export function createTransport(spec: BrokerSinkSpec): NotificationTransport {
  switch (spec.type) {
    case 'nats':
      return new NatsTransport(spec);
    case 'amqp':
      return new AmqpTransport(spec);
    case 'redis':
      return new RedisTransport(spec);
  }
}
