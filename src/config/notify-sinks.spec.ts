import { loadConfig } from './app-config.js';
import { parseNotifySinks, redactUrl } from './notify-sinks.js';

describe('parseNotifySinks (GLINT_NOTIFY)', () => {
  it('defaults to the log sink with bounded retries', () => {
    const c = loadConfig({});
    expect(c.notify).toEqual({ sinks: [{ type: 'log', name: 'log' }], maxPending: 10_000, retryMs: 300_000 });
  });

  it('reads NATS URLs with their defaults and options', () => {
    expect(parseNotifySinks('nats://127.0.0.1:4222')).toEqual([
      {
        type: 'nats',
        name: 'nats://127.0.0.1:4222',
        servers: ['127.0.0.1:4222'],
        subjectPrefix: 'glint.notifications',
        jetstream: false,
        stream: 'GLINT_NOTIFICATIONS',
      },
    ]);
    const [s] = parseNotifySinks(
      'nats://u:p@nats.example:5000?subject_prefix=os.img&jetstream=true&stream=IMG',
    );
    expect(s).toMatchObject({
      servers: ['nats.example:5000'],
      user: 'u',
      pass: 'p',
      subjectPrefix: 'os.img',
      jetstream: true,
      stream: 'IMG',
      name: 'nats://u:***@nats.example:5000?subject_prefix=os.img&jetstream=true&stream=IMG',
    });
    expect(parseNotifySinks('nats://tok@h')[0]).toMatchObject({ token: 'tok', name: 'nats://***@h' });
  });

  it("reads AMQP URLs with oslo.messaging's defaults and keeps the connection part for amqplib", () => {
    const [s] = parseNotifySinks('amqp://guest:guest@127.0.0.1:5672/openstack?exchange=glance&heartbeat=10');
    expect(s).toEqual({
      type: 'amqp',
      name: 'amqp://guest:***@127.0.0.1:5672/openstack?exchange=glance&heartbeat=10',
      url: 'amqp://guest:guest@127.0.0.1:5672/openstack?heartbeat=10',
      exchange: 'glance',
      topic: 'notifications',
      durable: false,
      defaultQueue: true,
    });
    expect(parseNotifySinks('amqp://h?topic=info&durable=true&default_queue=false')[0]).toMatchObject({
      url: 'amqp://h',
      topic: 'info',
      durable: true,
      defaultQueue: false,
    });
  });

  it('reads Redis URLs for channels and streams', () => {
    expect(parseNotifySinks('redis://127.0.0.1:6379')[0]).toEqual({
      type: 'redis',
      name: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
      mode: 'channel',
      target: 'glint.notifications',
    });
    expect(parseNotifySinks('rediss://:pw@r.example/3?stream=glance&maxlen=1000')[0]).toMatchObject({
      host: 'r.example',
      port: 6379,
      db: 3,
      password: 'pw',
      tls: true,
      mode: 'stream',
      target: 'glance',
      maxlen: 1000,
    });
  });

  it('takes several sinks, comma-separated', () => {
    const sinks = parseNotifySinks(' log , nats://a ,redis://b?channel=x');
    expect(sinks.map((s) => s.type)).toEqual(['log', 'nats', 'redis']);
  });

  it.each([
    ['kafka://k:9092', /"kafka:\/\/k:9092" is not a valid sink: unsupported scheme "kafka:"/],
    ['nats', /"nats" is not a valid sink: not a URL/],
    ['nats://h?subject=x', /unknown parameter "subject"/],
    ['nats://h?subject_prefix=a..b', /subject_prefix "a..b"/],
    ['nats://h?subject_prefix=a.*', /subject_prefix/],
    ['nats://h?jetstream=yes', /jetstream must be true or false/],
    ['nats://h?stream=a.b', /stream "a.b"/],
    ['amqp://user:secret@h?exchange=', /exchange must not be empty/],
    ['amqp://h?topic=a.*', /topic "a.\*"/],
    ['redis://h?channel=a&stream=b', /channel or stream, not both/],
    ['redis://h/x', /database number/],
    ['redis://h?maxlen=10', /maxlen/],
    ['log,log', /listed twice/],
  ])('names the bad entry %s', (value, pattern) => {
    expect(() => loadConfig({ GLINT_NOTIFY: value })).toThrow(/^GLINT_NOTIFY: /);
    expect(() => loadConfig({ GLINT_NOTIFY: value })).toThrow(pattern);
  });

  it('never shows a password in an error', () => {
    expect(() => loadConfig({ GLINT_NOTIFY: 'amqp://user:secret@h?bogus=1' })).toThrow(
      'GLINT_NOTIFY: "amqp://user:***@h?bogus=1" is not a valid sink: unknown parameter "bogus"',
    );
    expect(redactUrl('redis://:hunter2@h')).toBe('redis://:***@h');
  });

  it('validates the queue bounds', () => {
    expect(() => loadConfig({ GLINT_NOTIFY_MAX_PENDING: '0' })).toThrow(/GLINT_NOTIFY_MAX_PENDING/);
    expect(() => loadConfig({ GLINT_NOTIFY_RETRY_MS: 'soon' })).toThrow(/GLINT_NOTIFY_RETRY_MS/);
    expect(loadConfig({ GLINT_NOTIFY_MAX_PENDING: '5', GLINT_NOTIFY_RETRY_MS: '1000' }).notify).toMatchObject(
      {
        maxPending: 5,
        retryMs: 1000,
      },
    );
  });
});
