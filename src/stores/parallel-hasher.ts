import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It hashes slices of a shared ring buffer as the main thread announces
 * them and acknowledges each, so the ring's free space is known. Kept as source text (run with
 * `eval`) so it works from the compiled build and from the TypeScript sources alike.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData.ring);
let hash = null;
parentPort.on('message', (m) => {
  try {
    if (m.op === 'start') { hash = createHash(m.algorithm); return; }
    if (m.op === 'data') { hash.update(ring.subarray(m.offset, m.offset + m.length)); parentPort.postMessage({ op: 'ack', length: m.length }); return; }
    if (m.op === 'end') { const digest = hash.digest('hex'); hash = null; parentPort.postMessage({ op: 'digest', digest }); return; }
  } catch (err) {
    hash = null;
    parentPort.postMessage({ op: 'error', message: String(err && err.message || err) });
  }
});
`;

type Reply =
  { op: 'ack'; length: number } | { op: 'digest'; digest: string } | { op: 'error'; message: string };

/** Node's names for Glance's hashing_algorithm values (hashlib spells sha3 with an underscore). */
export function nodeHashName(algorithm: string): string {
  return algorithm.replace(/^sha3_/, 'sha3-');
}

/**
 * A worker thread that owns a shared ring buffer. Copying a chunk into shared memory costs far
 * less than hashing it, and structured-clone postMessage would copy it anyway; the worker then
 * reads the bytes in place.
 */
class HashWorker {
  readonly worker: Worker;
  readonly ring: Uint8Array;
  private head = 0;
  /** Bytes written to the ring that the worker has not yet hashed. */
  inFlight = 0;
  private waiters: Array<() => void> = [];
  private pending?: { resolve(d: string): void; reject(e: Error): void };
  failure?: Error;

  constructor(ringSize: number) {
    const shared = new SharedArrayBuffer(ringSize);
    this.ring = new Uint8Array(shared);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: shared } });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`hash worker exited with code ${code}`)));
  }

  start(algorithm: string): void {
    this.head = 0;
    this.inFlight = 0;
    this.failure = undefined;
    this.worker.postMessage({ op: 'start', algorithm });
  }

  /** Copies `chunk` into the ring (waiting for room) and hands it to the worker. */
  async push(chunk: Uint8Array): Promise<void> {
    const size = this.ring.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.failure) throw this.failure;
      // A slice never wraps: it runs to the ring's end at most, the rest starts again at 0.
      const room = Math.min(size - this.inFlight, size - this.head);
      if (room === 0) {
        await new Promise<void>((r) => this.waiters.push(r));
        continue;
      }
      const length = Math.min(room, chunk.length - offset);
      this.ring.set(chunk.subarray(offset, offset + length), this.head);
      this.worker.postMessage({ op: 'data', offset: this.head, length });
      this.inFlight += length;
      this.head = (this.head + length) % size;
      offset += length;
    }
  }

  digest(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ op: 'end' });
    });
  }

  private onMessage(m: Reply): void {
    if (m.op === 'ack') {
      this.inFlight -= m.length;
      const waiters = this.waiters;
      this.waiters = [];
      waiters.forEach((w) => w());
    } else if (m.op === 'digest') {
      this.pending?.resolve(m.digest);
      this.pending = undefined;
    } else {
      this.fail(new Error(m.message));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.pending?.reject(err);
    this.pending = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Idle hash workers, reused so an upload does not pay for a thread start. */
const idle: HashWorker[] = [];
const MAX_IDLE = 4;
const RING_SIZE = 8 * 1024 * 1024;

function acquire(): HashWorker {
  const worker = idle.pop() ?? new HashWorker(RING_SIZE);
  return worker;
}

function release(worker: HashWorker): void {
  // A worker still hashing an abandoned stream would acknowledge into the next one's accounting.
  if (worker.failure || worker.inFlight > 0 || idle.length >= MAX_IDLE) void worker.terminate();
  else idle.push(worker);
}

/** Stops the idle workers (tests, shutdown). */
export async function shutdownHashWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

/**
 * Two digests of one stream on two threads: `local` is computed on the calling thread, `remote` on
 * a pooled worker, so the slower hash bounds the speed instead of the sum of both.
 */
export class ParallelHasher {
  private readonly localHash: Hash;
  private worker?: HashWorker;
  private finished = false;

  constructor(
    localAlgorithm: string,
    private readonly remoteAlgorithm: string,
  ) {
    this.localHash = createHash(nodeHashName(localAlgorithm));
    // Fail on an unknown algorithm here, not later in the worker.
    createHash(nodeHashName(remoteAlgorithm));
    this.worker = acquire();
    this.worker.start(nodeHashName(remoteAlgorithm));
  }

  /**
   * Feeds a chunk. Resolves once the chunk is in the worker's ring, which is the back-pressure
   * point: a producer faster than the remote hash waits here.
   */
  async update(chunk: Uint8Array): Promise<void> {
    const worker = this.worker!;
    await worker.push(chunk);
    this.localHash.update(chunk);
  }

  async digest(): Promise<{ local: string; remote: string }> {
    if (this.finished) throw new Error('digest() was already called');
    this.finished = true;
    const worker = this.worker!;
    try {
      const remote = await worker.digest();
      return { local: this.localHash.digest('hex'), remote };
    } finally {
      this.worker = undefined;
      release(worker);
    }
  }

  /** Gives the worker back without a digest (the upload failed). */
  dispose(): void {
    if (this.finished || !this.worker) return;
    this.finished = true;
    const worker = this.worker;
    this.worker = undefined;
    release(worker);
  }
}
