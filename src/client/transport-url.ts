import { Transport } from '@nestjs/microservices';
import type { ClientOptions, NatsOptions, RedisOptions, RmqOptions, TcpOptions } from '@nestjs/microservices';

export type MeshTransportOptions = NatsOptions | RmqOptions | RedisOptions | TcpOptions;

/** The queue (NATS queue group, RabbitMQ queue) that Glint instances share to split requests. */
export const DEFAULT_MESH_QUEUE = 'glint';

function params(url: URL, allowed: string[]): URLSearchParams {
  for (const key of url.searchParams.keys()) {
    if (!allowed.includes(key)) throw new Error(`unknown parameter "${key}" (known: ${allowed.join(', ')})`);
  }
  return url.searchParams;
}

/**
 * Brokers restart; a listener or client that stops reconnecting leaves the mesh dead until Glint
 * restarts. The NATS client gives up after 10 attempts by default and Nest's Redis transport
 * does not reconnect at all without retryAttempts, so both retry without end, once a second.
 */
const RECONNECT_MS = 1_000;

function queueName(p: URLSearchParams): string {
  const queue = p.get('queue') ?? DEFAULT_MESH_QUEUE;
  if (!queue || /\s/.test(queue)) throw new Error(`queue "${queue}" is not a queue name`);
  return queue;
}

/**
 * Turns a mesh URL into the options of `app.connectMicroservice()` and `ClientProxyFactory.create()`
 * (@nestjs/microservices 12, with the broker clients pinned in package.json):
 * - `nats://[user:pass@|token@]host:4222[?queue=glint]` → Transport.NATS (@nats-io/transport-node)
 * - `amqp[s]://user:pass@host:5672[/vhost][?queue=glint&durable=false&prefetch=N]` → Transport.RMQ
 *   (amqplib + amqp-connection-manager)
 * - `redis[s]://[user:pass@]host:6379[/db]` → Transport.REDIS (ioredis)
 * - `tcp://host:port` → Transport.TCP (point to point: the listener binds host:port)
 * Throws an Error naming what is wrong; the caller names the setting.
 */
export function meshTransportOptions(raw: string): MeshTransportOptions {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('not a URL (expected nats://, amqp://, amqps://, redis://, rediss:// or tcp://)');
  }
  if (!url.hostname) throw new Error('a host is required');
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const pass = url.password ? decodeURIComponent(url.password) : undefined;
  switch (url.protocol) {
    case 'nats:': {
      const p = params(url, ['queue']);
      return {
        transport: Transport.NATS,
        options: {
          servers: [`nats://${url.host}`],
          queue: queueName(p),
          name: 'glint-mesh',
          maxReconnectAttempts: -1,
          reconnectTimeWait: RECONNECT_MS,
          ...(user && pass ? { user, pass } : user ? { token: user } : {}),
        },
      };
    }
    case 'amqp:':
    case 'amqps:': {
      const p = params(url, ['queue', 'durable', 'prefetch', 'heartbeat']);
      const durable = p.get('durable') ?? 'false';
      if (durable !== 'true' && durable !== 'false') throw new Error('durable must be true or false');
      const prefetch = p.get('prefetch');
      if (prefetch !== null && !/^[1-9]\d*$/.test(prefetch))
        throw new Error('prefetch must be a positive integer');
      const conn = new URL(url.toString());
      for (const key of ['queue', 'durable', 'prefetch']) conn.searchParams.delete(key);
      return {
        transport: Transport.RMQ,
        options: {
          urls: [conn.toString()],
          queue: queueName(p),
          queueOptions: { durable: durable === 'true' },
          ...(prefetch ? { prefetchCount: Number(prefetch) } : {}),
        },
      };
    }
    case 'redis:':
    case 'rediss:': {
      params(url, []);
      const db = url.pathname.replace(/^\//, '');
      if (db && !/^\d+$/.test(db)) throw new Error(`the path must be a database number, not "${db}"`);
      return {
        transport: Transport.REDIS,
        options: {
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port ? Number(url.port) : 6379,
          ...(db ? { db: Number(db) } : {}),
          ...(user ? { username: user } : {}),
          ...(pass ? { password: pass } : {}),
          ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
          retryAttempts: Number.MAX_SAFE_INTEGER,
          retryDelay: RECONNECT_MS,
        },
      };
    }
    case 'tcp:': {
      params(url, []);
      if (!url.port) throw new Error('a port is required');
      return {
        transport: Transport.TCP,
        options: { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) },
      };
    }
    default:
      throw new Error(
        `unsupported scheme "${url.protocol}" (expected nats, amqp, amqps, redis, rediss or tcp)`,
      );
  }
}

/** The same URL as the options of a client (ClientProxyFactory.create, GlintClientModule). */
export function meshClientOptions(raw: string): ClientOptions {
  // The listener and client options share their fields for these four transports.
  return meshTransportOptions(raw) as ClientOptions;
}
