import { Logger } from '@nestjs/common';
import { DeliveryQueue } from './delivery-queue.js';
import type { NotificationTransport } from './delivery-queue.js';
import type { Notification } from './notification.js';

function event(n: number): Notification {
  return {
    message_id: `m${n}`,
    publisher_id: 'image.localhost',
    event_type: 'image.update',
    priority: 'INFO',
    timestamp: '2026-11-26 21:00:00.000000',
    payload: { n },
  };
}

/** A broker that can be switched off; it records what it took, in order. */
class FakeTransport implements NotificationTransport {
  up = true;
  received: string[] = [];
  attempts = 0;
  resets = 0;
  closed = false;
  /** When set, sends hang until the test resolves them. */
  hang = false;

  batches: number[] = [];

  send(batch: readonly Notification[]): Promise<void> {
    this.attempts++;
    if (this.hang) return new Promise(() => undefined);
    if (!this.up) return Promise.reject(new Error('connection refused'));
    this.batches.push(batch.length);
    this.received.push(...batch.map((n) => n.message_id));
    return Promise.resolve();
  }
  reset(): Promise<void> {
    this.resets++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function setup(opts: Partial<ConstructorParameters<typeof DeliveryQueue>[2]> = {}) {
  const transport = new FakeTransport();
  const clock = { t: 1_000_000 };
  const queue = new DeliveryQueue('fake', transport, {
    maxPending: 100,
    retryMs: 60_000,
    backoffMinMs: 1,
    backoffMaxMs: 5,
    now: () => clock.t,
    ...opts,
  });
  return { transport, queue, clock };
}

describe('DeliveryQueue', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('delivers in enqueue order and counts', async () => {
    const { transport, queue } = setup();
    for (let i = 0; i < 50; i++) queue.enqueue(event(i));
    await vi.waitFor(() => expect(queue.stats().pending).toBe(0));
    expect(transport.received).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(queue.stats()).toMatchObject({ delivered: 50, retried: 0, dropped: 0, pending: 0, healthy: true });
  });

  it('pipelines up to batchSize per round trip, keeping the order', async () => {
    const { transport, queue } = setup({ batchSize: 4 });
    transport.up = false;
    for (let i = 0; i < 10; i++) queue.enqueue(event(i));
    await vi.waitFor(() => expect(queue.stats().retried).toBeGreaterThan(0));
    transport.up = true;
    await vi.waitFor(() => expect(queue.stats().pending).toBe(0));
    expect(transport.batches).toEqual([4, 4, 2]);
    expect(transport.received).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(queue.stats()).toMatchObject({ delivered: 10, dropped: 0 });
  });

  it('enqueue returns at once even when the broker hangs', () => {
    const { transport, queue } = setup();
    transport.hang = true;
    const started = performance.now();
    for (let i = 0; i < 10; i++) queue.enqueue(event(i));
    expect(performance.now() - started).toBeLessThan(50);
    expect(queue.stats().pending).toBe(10);
  });

  it('retries while the broker is down and delivers everything, in order, when it returns', async () => {
    const { transport, queue } = setup();
    transport.up = false;
    for (let i = 0; i < 5; i++) queue.enqueue(event(i));
    await vi.waitFor(() => expect(queue.stats().retried).toBeGreaterThanOrEqual(3));
    expect(queue.stats()).toMatchObject({ delivered: 0, dropped: 0, pending: 5, healthy: false });
    expect(queue.stats().last_error).toBe('connection refused');
    expect(transport.resets).toBeGreaterThanOrEqual(3);
    queue.enqueue(event(5));
    transport.up = true;
    await vi.waitFor(() => expect(queue.stats().pending).toBe(0));
    expect(transport.received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(queue.stats()).toMatchObject({ delivered: 6, dropped: 0, healthy: true });
  });

  it('drops new notifications beyond maxPending and counts them', async () => {
    const { transport, queue } = setup({ maxPending: 3 });
    transport.up = false;
    for (let i = 0; i < 5; i++) queue.enqueue(event(i));
    expect(queue.stats()).toMatchObject({ pending: 3, dropped: 2 });
    transport.up = true;
    await vi.waitFor(() => expect(queue.stats().pending).toBe(0));
    expect(transport.received).toEqual(['m0', 'm1', 'm2']);
    expect(queue.stats()).toMatchObject({ delivered: 3, dropped: 2 });
  });

  it('drops notifications retried past retryMs, oldest first, and keeps younger ones', async () => {
    const { transport, queue, clock } = setup({ retryMs: 10_000 });
    transport.up = false;
    queue.enqueue(event(0));
    queue.enqueue(event(1));
    clock.t += 6_000;
    queue.enqueue(event(2));
    await vi.waitFor(() => expect(queue.stats().retried).toBeGreaterThan(0));
    expect(queue.stats().dropped).toBe(0);
    clock.t += 5_000; // m0 and m1 are 11 s old, m2 is 5 s old
    await vi.waitFor(() => expect(queue.stats().dropped).toBe(2));
    expect(queue.stats().pending).toBe(1);
    transport.up = true;
    await vi.waitFor(() => expect(queue.stats().pending).toBe(0));
    expect(transport.received).toEqual(['m2']);
    expect(queue.stats()).toMatchObject({ delivered: 1, dropped: 2 });
  });

  it('treats a send that never answers as failed', async () => {
    const { transport, queue } = setup({ sendTimeoutMs: 20 });
    transport.hang = true;
    queue.enqueue(event(0));
    await vi.waitFor(() => expect(queue.stats().retried).toBeGreaterThan(0));
    expect(queue.stats().last_error).toMatch(/no answer within 20 ms/);
    transport.hang = false;
    await vi.waitFor(() => expect(queue.stats().delivered).toBe(1));
  });

  it('flushes on close when it can, drops the rest after the grace period, and closes the transport', async () => {
    const ok = setup();
    for (let i = 0; i < 3; i++) ok.queue.enqueue(event(i));
    await ok.queue.close(1_000);
    expect(ok.queue.stats()).toMatchObject({ delivered: 3, dropped: 0, pending: 0 });
    expect(ok.transport.closed).toBe(true);

    const down = setup();
    down.transport.up = false;
    for (let i = 0; i < 3; i++) down.queue.enqueue(event(i));
    const started = Date.now();
    await down.queue.close(50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(down.queue.stats()).toMatchObject({ delivered: 0, dropped: 3, pending: 0 });
    down.queue.enqueue(event(9));
    expect(down.queue.stats().dropped).toBe(4);
    expect(down.transport.closed).toBe(true);
  });
});
