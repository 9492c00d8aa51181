import { Transport } from '@nestjs/microservices';
import {
  ConflictError,
  DomainError,
  DuplicateError,
  NotFoundError,
  OverLimitError,
  PolicyDeniedError,
  StorageFullError,
} from '../common/errors/domain-errors.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
import {
  decodeError,
  decodeValue,
  encodeError,
  encodeValue,
  INTERNAL_ERROR,
  RegistryOperationError,
} from './registry-codec.js';
import { REGISTRY_OPERATIONS, registryPattern, registryTransportOptions } from './registry-protocol.js';

/** Through the codec and JSON, as a broker carries it. */
function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));
}

describe('registry codec', () => {
  it('keeps Dates as Dates, to the millisecond, wherever they sit', () => {
    const at = new Date('2026-11-27T00:20:31.123Z');
    const out = roundTrip(['id', { createdAt: at, nested: [{ value: at }] }, at]) as [
      string,
      { createdAt: Date; nested: Array<{ value: Date }> },
      Date,
    ];
    expect(out[1].createdAt).toBeInstanceOf(Date);
    expect(out[1].createdAt.getTime()).toBe(at.getTime());
    expect(out[1].nested[0].value.getTime()).toBe(at.getTime());
    expect(out[2]).toEqual(at);
  });

  it('keeps an argument left out apart from null, and a present-but-undefined key present', () => {
    // members.list(imageId, only?) reads `only === undefined`; compare-and-set reads `key in fields`.
    const out = roundTrip(['image', undefined, null, { size: undefined, checksum: null }]) as unknown[];
    expect(out).toHaveLength(4);
    expect(out[1]).toBeUndefined();
    expect(out[2]).toBeNull();
    const fields = out[3] as Record<string, unknown>;
    expect('size' in fields).toBe(true);
    expect(fields.size).toBeUndefined();
    expect(fields.checksum).toBeNull();
  });

  it('passes records through unchanged otherwise', () => {
    const record = { id: 'x', properties: { a: '1', b: null }, tags: ['t'], size: 42, protected: false };
    expect(roundTrip(record)).toEqual(record);
    expect(roundTrip(undefined)).toBeUndefined();
  });

  it('carries client JSON that looks like a tag, or has a __proto__ key, as it is', () => {
    const input = {
      a: { $date: '2020-01-01T00:00:00Z' },
      b: { $undefined: true },
      c: { $object: { x: 1 } },
      d: JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as unknown,
    };
    const out = roundTrip(input) as Record<string, unknown>;
    expect(out.a).toEqual({ $date: '2020-01-01T00:00:00Z' });
    expect(out.b).toEqual({ $undefined: true });
    expect(out.c).toEqual({ $object: { x: 1 } });
    const d = out.d as Record<string, unknown>;
    expect(Object.keys(d)).toEqual(['__proto__', 'k']);
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out.d)).toBe('{"__proto__":{"polluted":true},"k":1}');
  });

  it('refuses numbers JSON would turn into null', () => {
    expect(() => encodeValue({ size: Number.NaN })).toThrow(/no JSON form/);
  });
});

describe('registry errors', () => {
  it('crosses domain errors as { code, message } and rebuilds the same class', () => {
    for (const err of [
      new NotFoundError('Image x not found.'),
      new DuplicateError('taken'),
      new ConflictError('busy'),
    ]) {
      const body = JSON.parse(JSON.stringify(encodeError(err))) as ReturnType<typeof encodeError>;
      expect(body).toEqual({ code: err.name, message: err.message });
      const back = decodeError(body, 'images.insert');
      expect(back).toBeInstanceOf(err.constructor);
      expect(back.message).toBe(err.message);
      expect((back as DomainError).detail).toBe(false);
    }
  });

  it('keeps the detail flag that shapes Glance message texts', () => {
    const back = decodeError(encodeError(new NotFoundError('gone', { detail: true })), 'op');
    expect((back as DomainError).detail).toBe(true);
  });

  it('crosses anything else as an internal error that stays a 500 on the API side', () => {
    const db = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const body = encodeError(db);
    expect(body.code).toBe(INTERNAL_ERROR);
    const back = decodeError(body, 'members.add');
    expect(back).toBeInstanceOf(RegistryOperationError);
    expect(back).not.toBeInstanceOf(DomainError);
    expect(back.message).toContain('members.add');
  });

  it('brings a policy refusal back with its rule, and a message-only subclass as its parent', () => {
    const denied = decodeError(encodeError(new PolicyDeniedError('copy_image')), 'import.start');
    expect(denied).toBeInstanceOf(PolicyDeniedError);
    expect(denied.message).toBe('You are not authorized to complete copy_image action.');
    const full = decodeError(encodeError(new StorageFullError()), 'x');
    expect(full).toBeInstanceOf(OverLimitError);
    expect(full.message).toBe(new StorageFullError().message);
  });
});

describe('registry protocol', () => {
  it('names one pattern per operation under the prefix', () => {
    expect(registryPattern('glint.registry', 'images', 'compareAndSetStatus')).toBe(
      'glint.registry.images.compareAndSetStatus',
    );
    expect(REGISTRY_OPERATIONS.images).toContain('list');
    expect(REGISTRY_OPERATIONS.images).toContain('insertPropertyIfAbsent');
  });

  it('gives brokers a queue of its own unless the URL names one', () => {
    const nats = registryTransportOptions('nats://127.0.0.1:4222');
    expect(nats.transport).toBe(Transport.NATS);
    expect((nats.options as { queue: string }).queue).toBe('glint-registry');
    const named = registryTransportOptions('amqp://guest:guest@127.0.0.1:5672?queue=reg');
    expect((named.options as { queue: string }).queue).toBe('reg');
    const tcp = registryTransportOptions('tcp://127.0.0.1:9191');
    expect(tcp).toEqual({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 9191 } });
  });
});

describe('GLINT_ROLE settings', () => {
  it('defaults to one process with the database', () => {
    const c = loadConfig({});
    expect(c.registry.role).toBe('all');
    expect(c.registry.client).toBeUndefined();
    expect(c.registry.prefix).toBe('glint.registry');
  });

  it('refuses an api process without a registry, or with a database of its own', () => {
    expect(() => loadConfig({ GLINT_ROLE: 'api' })).toThrow(ConfigError);
    expect(() => loadConfig({ GLINT_ROLE: 'api' })).toThrow(/GLINT_REGISTRY_URL/);
    expect(() =>
      loadConfig({
        GLINT_ROLE: 'api',
        GLINT_REGISTRY_URL: 'tcp://127.0.0.1:9191',
        DATABASE_URL: 'postgres://x@127.0.0.1/db',
      }),
    ).toThrow(/unset DATABASE_URL/);
  });

  it('names the bad registry setting', () => {
    expect(() => loadConfig({ GLINT_ROLE: 'primary' })).toThrow(/GLINT_ROLE/);
    expect(() => loadConfig({ GLINT_ROLE: 'api', GLINT_REGISTRY_URL: 'http://x:1' })).toThrow(
      /GLINT_REGISTRY_URL: .*unsupported scheme/,
    );
    expect(() => loadConfig({ GLINT_ROLE: 'registry', GLINT_REGISTRY_LISTEN: 'tcp://127.0.0.1' })).toThrow(
      /GLINT_REGISTRY_LISTEN: .*port/,
    );
    expect(() => loadConfig({ GLINT_REGISTRY_PREFIX: 'a b' })).toThrow(/GLINT_REGISTRY_PREFIX/);
    expect(() => loadConfig({ GLINT_REGISTRY_TIMEOUT_MS: '5' })).toThrow(/GLINT_REGISTRY_TIMEOUT_MS/);
  });

  it('reads both ends', () => {
    const api = loadConfig({
      GLINT_ROLE: 'api',
      GLINT_REGISTRY_URL: 'nats://user:secret@127.0.0.1:4222',
      GLINT_REGISTRY_TOKEN: 't',
    });
    expect(api.registry.client?.transport).toBe(Transport.NATS);
    expect(api.registry.token).toBe('t');
    expect(api.registry.address).not.toContain('secret');
    const registry = loadConfig({ GLINT_ROLE: 'registry' });
    expect(registry.registry.listener).toEqual({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 9191 },
    });
  });
});
