/**
 * `GLINT_NOTIFY`: where notifications go, as a comma-separated list of sink URLs. Parsed once at
 * start; a bad entry stops the start with a message naming it (password hidden).
 */

export interface LogSinkSpec {
  type: 'log';
  /** What health and logs show for this sink. */
  name: string;
}

export interface NatsSinkSpec {
  type: 'nats';
  name: string;
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  /** Subjects are `<prefix>.<event_type>`. */
  subjectPrefix: string;
  /** Publish through JetStream (acknowledged, de-duplicated by message_id). */
  jetstream: boolean;
  /** The JetStream stream created, when missing, over `<prefix>.>`. */
  stream: string;
}

export interface AmqpSinkSpec {
  type: 'amqp';
  name: string;
  /** The broker URL without Glint's own query parameters (amqplib reads the rest). */
  url: string;
  /** oslo.messaging's control exchange (Glance's is `glance`), a topic exchange. */
  exchange: string;
  /** Routing keys are `<topic>.<priority>`, as oslo.messaging's notifier sends them. */
  topic: string;
  /** Declare the exchange (and default queue) durable; oslo's `amqp_durable_queues`. */
  durable: boolean;
  /** Declare and bind a queue named after the routing key, as oslo does, so nothing is lost before a consumer binds. */
  defaultQueue: boolean;
}

export interface RedisSinkSpec {
  type: 'redis';
  name: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** `channel`: PUBLISH on `<target>.<event_type>`; `stream`: XADD to the stream `<target>`. */
  mode: 'channel' | 'stream';
  target: string;
  /** Approximate stream length cap (XADD MAXLEN ~); unset keeps every entry. */
  maxlen?: number;
}

export type NotifySinkSpec = LogSinkSpec | NatsSinkSpec | AmqpSinkSpec | RedisSinkSpec;
export type BrokerSinkSpec = Exclude<NotifySinkSpec, LogSinkSpec>;

export const DEFAULT_SUBJECT_PREFIX = 'glint.notifications';
export const DEFAULT_JETSTREAM_STREAM = 'GLINT_NOTIFICATIONS';
export const DEFAULT_AMQP_EXCHANGE = 'glance';
export const DEFAULT_AMQP_TOPIC = 'notifications';
export const DEFAULT_REDIS_CHANNEL = 'glint.notifications';

class SinkError extends Error {}

/** The URL as logs and the health endpoint may show it: no password, no token. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    else if (url.username && url.protocol.startsWith('nats')) url.username = '***';
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}

function query(url: URL, allowed: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (!allowed.includes(key)) {
      throw new SinkError(
        `unknown parameter "${key}"` + (allowed.length ? ` (known: ${allowed.join(', ')})` : ''),
      );
    }
    if (out.has(key)) throw new SinkError(`parameter "${key}" given twice`);
    out.set(key, value);
  }
  return out;
}

function bool(params: Map<string, string>, key: string, fallback: boolean): boolean {
  const v = params.get(key);
  if (v === undefined) return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new SinkError(`${key} must be true or false, not "${v}"`);
}

/** NATS subject tokens: no wildcards, no whitespace, no empty token. */
function subjectPrefix(v: string, what: string): string {
  if (!v || v.split('.').some((t) => !t || /[\s*>]/.test(t))) {
    throw new SinkError(`${what} "${v}" is not a NATS subject (dot-separated tokens without * > or spaces)`);
  }
  return v;
}

function port(url: URL, fallback: number): number {
  return url.port ? Number(url.port) : fallback;
}

function requireHost(url: URL): void {
  if (!url.hostname) throw new SinkError('a host is required');
}

function parseNats(url: URL, name: string): NatsSinkSpec {
  requireHost(url);
  if (url.pathname && url.pathname !== '/') throw new SinkError('a NATS URL has no path');
  const params = query(url, ['subject_prefix', 'jetstream', 'stream']);
  const stream = params.get('stream') ?? DEFAULT_JETSTREAM_STREAM;
  if (!/^[^\s.*>/\\]+$/.test(stream))
    throw new SinkError(`stream "${stream}" is not a JetStream stream name`);
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const pass = url.password ? decodeURIComponent(url.password) : undefined;
  return {
    type: 'nats',
    name,
    servers: [`${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${port(url, 4222)}`],
    ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    subjectPrefix: subjectPrefix(params.get('subject_prefix') ?? DEFAULT_SUBJECT_PREFIX, 'subject_prefix'),
    jetstream: bool(params, 'jetstream', false),
    stream,
  };
}

function parseAmqp(url: URL, name: string): AmqpSinkSpec {
  requireHost(url);
  const params = query(url, ['exchange', 'topic', 'durable', 'default_queue', 'heartbeat', 'frameMax']);
  const exchange = params.get('exchange') ?? DEFAULT_AMQP_EXCHANGE;
  const topic = params.get('topic') ?? DEFAULT_AMQP_TOPIC;
  if (!exchange) throw new SinkError('exchange must not be empty');
  if (!topic || /[\s*#]/.test(topic)) throw new SinkError(`topic "${topic}" is not a routing key prefix`);
  const conn = new URL(url.toString());
  for (const key of ['exchange', 'topic', 'durable', 'default_queue']) conn.searchParams.delete(key);
  return {
    type: 'amqp',
    name,
    url: conn.toString(),
    exchange,
    topic,
    durable: bool(params, 'durable', false),
    defaultQueue: bool(params, 'default_queue', true),
  };
}

function parseRedis(url: URL, name: string): RedisSinkSpec {
  requireHost(url);
  const params = query(url, ['channel', 'stream', 'maxlen']);
  const path = url.pathname.replace(/^\//, '');
  if (path && !/^\d+$/.test(path)) throw new SinkError(`the path must be a database number, not "${path}"`);
  if (params.has('channel') && params.has('stream')) throw new SinkError('give channel or stream, not both');
  const stream = params.get('stream');
  if (stream === '') throw new SinkError('stream must not be empty');
  const channel = params.get('channel') ?? DEFAULT_REDIS_CHANNEL;
  if (!channel) throw new SinkError('channel must not be empty');
  const maxlenRaw = params.get('maxlen');
  if (maxlenRaw !== undefined && (!stream || !/^[1-9]\d*$/.test(maxlenRaw))) {
    throw new SinkError('maxlen must be a positive integer, with stream=');
  }
  return {
    type: 'redis',
    name,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: port(url, 6379),
    db: path ? Number(path) : 0,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === 'rediss:',
    mode: stream ? 'stream' : 'channel',
    target: stream ?? channel,
    ...(maxlenRaw ? { maxlen: Number(maxlenRaw) } : {}),
  };
}

function parseOne(entry: string): NotifySinkSpec {
  if (entry === 'log') return { type: 'log', name: 'log' };
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new SinkError('not a URL (expected log, nats://, amqp://, amqps://, redis:// or rediss://)');
  }
  const name = redactUrl(entry);
  switch (url.protocol) {
    case 'nats:':
      return parseNats(url, name);
    case 'amqp:':
    case 'amqps:':
      return parseAmqp(url, name);
    case 'redis:':
    case 'rediss:':
      return parseRedis(url, name);
    default:
      throw new SinkError(
        `unsupported scheme "${url.protocol}" (expected log, nats, amqp, amqps, redis or rediss)`,
      );
  }
}

/**
 * Parses `GLINT_NOTIFY`. Throws an Error whose message names the bad entry (password hidden);
 * the caller prefixes the setting name.
 */
export function parseNotifySinks(value: string): NotifySinkSpec[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const shown = redactUrl(entry);
    if (seen.has(entry)) throw new Error(`"${shown}" is listed twice`);
    seen.add(entry);
    try {
      return parseOne(entry);
    } catch (err) {
      if (err instanceof SinkError)
        throw new Error(`"${shown}" is not a valid sink: ${err.message}`, { cause: err });
      throw err;
    }
  });
}
