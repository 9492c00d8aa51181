import { Transport } from '@nestjs/microservices';
import { meshTransportOptions } from './transport-url.js';

describe('meshTransportOptions', () => {
  it('maps nats:// to Transport.NATS with a shared queue group', () => {
    expect(meshTransportOptions('nats://127.0.0.1:4222')).toEqual({
      transport: Transport.NATS,
      options: {
        servers: ['nats://127.0.0.1:4222'],
        queue: 'glint',
        name: 'glint-mesh',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      },
    });
    expect(meshTransportOptions('nats://u:p@n:4223?queue=img').options).toMatchObject({
      servers: ['nats://n:4223'],
      queue: 'img',
      user: 'u',
      pass: 'p',
    });
    expect(meshTransportOptions('nats://tok@n').options).toMatchObject({ token: 'tok' });
  });

  it('maps amqp:// to Transport.RMQ, keeping the connection URL for amqplib', () => {
    expect(
      meshTransportOptions('amqp://guest:guest@127.0.0.1:5672/glint?queue=img&prefetch=10&heartbeat=5'),
    ).toEqual({
      transport: Transport.RMQ,
      options: {
        urls: ['amqp://guest:guest@127.0.0.1:5672/glint?heartbeat=5'],
        queue: 'img',
        queueOptions: { durable: false },
        prefetchCount: 10,
      },
    });
    expect(meshTransportOptions('amqps://h?durable=true').options).toMatchObject({
      queueOptions: { durable: true },
    });
  });

  it('maps redis:// to Transport.REDIS', () => {
    expect(meshTransportOptions('redis://127.0.0.1:6379')).toEqual({
      transport: Transport.REDIS,
      options: { host: '127.0.0.1', port: 6379, retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 },
    });
    expect(meshTransportOptions('rediss://:pw@r/2').options).toEqual({
      host: 'r',
      port: 6379,
      db: 2,
      password: 'pw',
      tls: {},
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: 1000,
    });
  });

  it.each([
    ['grpc://h', /unsupported scheme/],
    ['nats', /not a URL/],
    ['nats://h?subject=x', /unknown parameter "subject"/],
    ['amqp://h?durable=maybe', /durable/],
    ['amqp://h?prefetch=0', /prefetch/],
    ['redis://h/x', /database number/],
    ['redis://h?channel=x', /unknown parameter/],
  ])('refuses %s', (url, message) => {
    expect(() => meshTransportOptions(url)).toThrow(message);
  });
});
