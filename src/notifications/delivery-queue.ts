import { Logger } from '@nestjs/common';
import type { Notification } from './notification.js';

/** A broker connection that carries notifications out of the process. */
export interface NotificationTransport {
  /**
   * Sends the notifications in this order on one connection and resolves once the broker has
   * taken all of them; rejects when it has not (some may have been taken: they are sent again).
   */
  send(batch: readonly Notification[]): Promise<void>;
  /** Forgets the current connection after a failure, so the next send starts afresh. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveryQueueOptions {
  /** Notifications held while the broker is unreachable; new ones beyond this are dropped. */
  maxPending: number;
  /** How long a notification that cannot be delivered is retried before it is dropped. */
  retryMs: number;
  /** Backoff between attempts while the broker fails: doubles from min to max. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A send that takes longer than this counts as failed. */
  sendTimeoutMs?: number;
  /** Most notifications sent per round trip (pipelined, in order). */
  batchSize?: number;
  now?: () => number;
}

export interface DeliveryStats {
  delivered: number;
  /** Failed attempts that were followed by another attempt. */
  retried: number;
  /** Notifications given up: queue full, retried past the bound, or left at shutdown. */
  dropped: number;
  pending: number;
  /** False while the last attempt failed. */
  healthy: boolean;
  last_error?: string;
  last_error_at?: string;
}

interface Pending {
  notification: Notification;
  enqueuedAt: number;
}

class SendTimeout extends Error {}

async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/**
 * One sink's outbox. `enqueue` never blocks or throws, so the request that caused the event is
 * not held up by the broker. A single pump delivers in enqueue order, up to `batchSize` per round
 * trip; while the broker fails, the head is retried with backoff (later notifications wait
 * behind it, so order holds), and
 * notifications that have waited past `retryMs` are dropped and counted.
 */
export class DeliveryQueue {
  private readonly items: Pending[] = [];
  private readonly logger: Logger;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly sendTimeoutMs: number;
  private readonly batchSize: number;
  private readonly now: () => number;
  private pumping?: Promise<void>;
  private stopped = false;
  private wake?: () => void;
  private drained?: () => void;
  private failures = 0;
  private lastOverflowLog = 0;
  private readonly counters = { delivered: 0, retried: 0, dropped: 0 };
  private lastError?: { message: string; at: number };

  constructor(
    readonly name: string,
    private readonly transport: NotificationTransport,
    private readonly options: DeliveryQueueOptions,
  ) {
    this.logger = new Logger(`Notifications ${name}`);
    this.backoffMinMs = options.backoffMinMs ?? 100;
    this.backoffMaxMs = options.backoffMaxMs ?? 5_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
    this.now = options.now ?? Date.now;
  }

  enqueue(notification: Notification): void {
    if (this.stopped) {
      this.counters.dropped++;
      return;
    }
    if (this.items.length >= this.options.maxPending) {
      this.counters.dropped++;
      // One line per second at most: a dead broker under load would otherwise flood the log.
      if (this.now() - this.lastOverflowLog >= 1_000) {
        this.lastOverflowLog = this.now();
        this.logger.warn(
          `${this.items.length} notifications pending, dropping ${notification.event_type} ${notification.message_id}`,
        );
      }
      return;
    }
    this.items.push({ notification, enqueuedAt: this.now() });
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  stats(): DeliveryStats {
    return {
      ...this.counters,
      pending: this.items.length,
      healthy: this.failures === 0,
      ...(this.lastError
        ? { last_error: this.lastError.message, last_error_at: new Date(this.lastError.at).toISOString() }
        : {}),
    };
  }

  /**
   * Stops taking notifications, gives the pending ones up to `graceMs` to leave, counts the rest
   * as dropped and closes the connection.
   */
  async close(graceMs: number): Promise<void> {
    if (this.items.length && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.drained = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.wake?.();
    // Closing the connection first makes a send still in flight fail at once instead of
    // holding the shutdown for a whole send timeout.
    await withDeadline(this.transport.close(), 2_000);
    await this.pumping;
    if (this.items.length) {
      this.logger.warn(`dropping ${this.items.length} undelivered notifications at shutdown`);
      this.counters.dropped += this.items.splice(0).length;
    }
  }

  private async pump(): Promise<void> {
    while (this.items.length && !this.stopped) {
      // The head of the queue, pipelined: order holds because one connection carries the batch
      // and nothing behind it leaves before the whole batch is acknowledged.
      const batch = this.items.slice(0, this.batchSize);
      try {
        await this.sendWithTimeout(batch.map((p) => p.notification));
        this.items.splice(0, batch.length);
        this.counters.delivered += batch.length;
        if (this.failures) this.logger.log(`delivering again after ${this.failures} failed attempts`);
        this.failures = 0;
      } catch (err) {
        await this.failed(err as Error);
      }
    }
    if (!this.items.length) this.drained?.();
  }

  private async sendWithTimeout(batch: Notification[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SendTimeout(`no answer within ${this.sendTimeoutMs} ms`)),
        this.sendTimeoutMs,
      );
    });
    try {
      await Promise.race([this.transport.send(batch), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async failed(err: Error): Promise<void> {
    const now = this.now();
    this.lastError = { message: err.message || String(err), at: now };
    if (this.failures === 0)
      this.logger.warn(`cannot deliver notifications, retrying: ${this.lastError.message}`);
    this.failures++;
    await this.transport.reset().catch(() => undefined);

    let expired = 0;
    while (this.items.length && now - this.items[0].enqueuedAt >= this.options.retryMs) {
      this.items.shift();
      expired++;
    }
    if (expired) {
      this.counters.dropped += expired;
      this.logger.warn(`dropped ${expired} notifications undelivered after ${this.options.retryMs} ms`);
    }
    if (!this.items.length || this.stopped) return;
    this.counters.retried++;
    const delay = Math.min(this.backoffMaxMs, this.backoffMinMs * 2 ** Math.min(this.failures - 1, 20));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
