import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A node-postgres look-alike over one embedded PGlite database, handed to TypeORM as its `driver`.
 *
 * PGlite has a single session, so the pool hands out one client at a time: a transaction keeps
 * the session until it releases it, and no other statement can slip into it. Code that, inside a
 * transaction, asks for a second connection would wait forever; the acquire timeout turns that
 * mistake into an error instead of a hang.
 */

type Callback = (err: Error | null, result?: unknown) => void;
type ConnectCallback = (err: Error | null, client?: PgliteClient, release?: () => void) => void;

interface QueryResult {
  command: string;
  rows: unknown[];
  fields: unknown[];
  rowCount: number;
}

const LEADING_COMMAND = /^\s*(?:--[^\n]*\n\s*)*(\w+)/;

export class AcquireTimeoutError extends Error {
  constructor(ms: number) {
    super(
      `embedded database: no connection became free within ${ms} ms (a transaction may be waiting on itself)`,
    );
  }
}

/** A FIFO lock whose waiters give up after a timeout. */
class SessionLock {
  private holder = false;
  private readonly waiters: Array<{ grant: () => void }> = [];

  acquire(timeoutMs: number): Promise<() => void> {
    return new Promise((resolveLock, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next.grant();
        else this.holder = false;
      };
      if (!this.holder) {
        this.holder = true;
        resolveLock(release);
        return;
      }
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolveLock(release);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new AcquireTimeoutError(timeoutMs));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

export class PgliteClient extends EventEmitter {
  release: () => void = () => undefined;

  constructor(private readonly db: Promise<PGlite>) {
    super();
  }

  query(
    text: string | { text: string; values?: unknown[] },
    params?: unknown[] | Callback,
    callback?: Callback,
  ): Promise<QueryResult> | undefined {
    if (typeof params === 'function') {
      callback = params;
      params = undefined;
    }
    if (typeof text === 'object') {
      params = text.values;
      text = text.text;
    }
    const result = this.run(text, params);
    if (!callback) return result;
    const cb = callback;
    // Exactly one of the two paths reports, so a failure never becomes an unhandled rejection.
    result.then(
      (r) => cb(null, r),
      (e: Error) => cb(e),
    );
    return undefined;
  }

  private async run(text: string, params?: unknown[]): Promise<QueryResult> {
    const db = await this.db;
    let r: { rows: unknown[]; fields: unknown[]; affectedRows?: number };
    if (params && params.length > 0) {
      r = await db.query(text, params);
    } else {
      const results = await db.exec(text);
      r = results[results.length - 1] ?? { rows: [], fields: [] };
    }
    return {
      command: (LEADING_COMMAND.exec(text)?.[1] ?? '').toUpperCase(),
      rows: r.rows,
      fields: r.fields,
      rowCount: r.affectedRows ?? r.rows.length,
    };
  }
}

export interface PgliteDriver {
  Pool: new () => EventEmitter;
  /** Runs work while holding the session, for other libraries (job queues) that share the database. */
  withSession<T>(work: (db: PGlite) => Promise<T>): Promise<T>;
}

export function pgliteDriver(database: Promise<PGlite> | PGlite, acquireTimeoutMs = 30_000): PgliteDriver {
  const db = Promise.resolve(database);
  const lock = new SessionLock();

  class Pool extends EventEmitter {
    connect(callback?: ConnectCallback): Promise<PgliteClient> | undefined {
      const client = lock.acquire(acquireTimeoutMs).then((unlock) => {
        const c = new PgliteClient(db);
        c.release = unlock;
        return c;
      });
      if (!callback) return client;
      client.then(
        (c) => callback(null, c, c.release),
        (e: Error) => callback(e),
      );
      return undefined;
    }

    end(callback?: (err?: Error) => void): Promise<void> {
      const closed = db.then((d) => (d.closed ? undefined : d.close()));
      if (callback) closed.then(() => callback(), callback);
      return closed;
    }
  }

  return {
    Pool,
    async withSession(work) {
      const unlock = await lock.acquire(acquireTimeoutMs);
      try {
        return await work(await db);
      } finally {
        unlock();
      }
    },
  };
}
