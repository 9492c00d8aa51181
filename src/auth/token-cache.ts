import { createHash } from 'node:crypto';

interface Entry<T> {
  value: T;
  until: number;
}

/**
 * Validated tokens kept in memory: bounded (least recently used goes first), each entry for its
 * own time. Keys are SHA-256 digests, so the process keeps no usable token in its cache.
 */
export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  get(token: string): T | undefined {
    const key = TokenCache.keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= this.now()) return undefined;
    // Re-inserted so that Map order is least recently used first.
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` for `ttlMs`; nothing is kept for a ttl of zero or less. */
  set(token: string, value: T, ttlMs: number): void {
    const key = TokenCache.keyOf(token);
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    this.entries.set(key, { value, until: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
