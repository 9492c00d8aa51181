import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It hashes slices of a shared ring buffer as the main thread announces
 * them and acknowledges each, so the ring's free space is known. Kept as source text (run with
 * `eval`) so it works from the compiled build and from the TypeScript sources alike.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let ring = null;
let hash = null;
parentPort.on('message', (m) => {
  try {
    if (m.op === 'data') { hash.update(ring.subarray(m.offset, m.offset + m.length)); parentPort.postMessage({ op: 'ack', length: m.length }); return; }
    if (m.op === 'start') { ring = new Uint8Array(m.ring); hash = createHash(m.algorithm); return; }
    if (m.op === 'end') { const digest = hash.digest('hex'); hash = null; ring = null; parentPort.postMessage({ op: 'digest', digest }); return; }
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

/** One hash running on a worker thread over the slices of a shared ring that it is told about. */
class HashWorker {
  readonly worker: Worker;
  /** Bytes announced to the worker and not yet acknowledged. */
  inFlight = 0;
  /** Bytes the worker has hashed since `start`. */
  hashed = 0;
  onAck?: () => void;
  pending?: { resolve(d: string): void; reject(e: Error): void };
  failure?: Error;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', (m: Reply) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      // A dead worker must not be handed out again: nothing would ever answer it.
      const i = idleWorkers.indexOf(this);
      if (i >= 0) idleWorkers.splice(i, 1);
      this.fail(new Error(`hash worker exited with code ${code}`));
    });
  }

  start(algorithm: string, ring: SharedArrayBuffer): void {
    // Busy workers keep the process alive until their digest arrives; idle ones do not.
    this.worker.ref();
    this.inFlight = 0;
    this.hashed = 0;
    this.failure = undefined;
    this.worker.postMessage({ op: 'start', algorithm, ring });
  }

  hash(offset: number, length: number): void {
    this.inFlight += length;
    this.worker.postMessage({ op: 'data', offset, length });
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
      this.hashed += m.length;
      this.onAck?.();
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
    this.onAck?.();
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Idle hash workers and rings, reused so an upload pays for no thread start. */
const idleWorkers: HashWorker[] = [];
const idleRings: SharedArrayBuffer[] = [];
const MAX_IDLE_WORKERS = 4;
const MAX_IDLE_RINGS = 2;
const RING_SIZE = 8 * 1024 * 1024;
/**
 * Bytes gathered before the workers hear of them. Network reads come in 64 KiB pieces; one
 * message (and one acknowledgement) per piece costs more main-thread time than copying it.
 */
const BATCH = 1024 * 1024;

function releaseWorker(worker: HashWorker): void {
  worker.onAck = undefined;
  // A worker still hashing an abandoned stream would acknowledge into the next one's accounting.
  if (worker.failure || worker.inFlight > 0 || worker.pending || idleWorkers.length >= MAX_IDLE_WORKERS)
    void worker.terminate();
  else {
    worker.worker.unref();
    idleWorkers.push(worker);
  }
}

/** Stops the idle workers (tests, shutdown). */
export async function shutdownHashWorkers(): Promise<void> {
  idleRings.length = 0;
  await Promise.all(idleWorkers.splice(0).map((w) => w.terminate()));
}

/**
 * Several digests of one stream, each on its own worker thread, so that the slowest hash bounds
 * the speed instead of the sum of all, and the calling thread (which also receives and writes the
 * data) does none of the hashing. Each chunk is copied once into a ring of shared memory that
 * every worker reads in place; the workers are told about it in batches of about 1 MiB.
 */
export class ParallelHasher {
  private workers: HashWorker[];
  private readonly ring: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  /** Bytes copied into the ring so far, and how many of them the workers were told about. */
  private written = 0;
  private announced = 0;
  private waiter?: () => void;
  private finished = false;

  constructor(algorithms: readonly string[]) {
    // Fail on an unknown algorithm here, not later in a worker.
    const names = algorithms.map(nodeHashName);
    names.forEach((name) => createHash(name));
    this.ring = idleRings.pop() ?? new SharedArrayBuffer(RING_SIZE);
    this.bytes = new Uint8Array(this.ring);
    this.workers = names.map((name) => {
      const worker = idleWorkers.pop() ?? new HashWorker();
      worker.start(name, this.ring);
      worker.onAck = () => this.wake();
      return worker;
    });
  }

  /**
   * Feeds a chunk, one feed at a time (the caller must not change the chunk, nor feed the next,
   * until this returns or resolves). Returns nothing
   * when the chunk fit into the ring at once, and otherwise a promise that resolves once the
   * workers made room for all of it: that is the back-pressure point, a producer faster than the
   * slowest hash waits here.
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    const copied = this.copy(chunk, 0);
    return copied === chunk.length ? undefined : this.copyRest(chunk, copied);
  }

  private async copyRest(chunk: Uint8Array, from: number): Promise<void> {
    let offset = from;
    while (offset < chunk.length) {
      // The ring is full: what is in it must reach the workers before they can free any of it.
      this.announce();
      await new Promise<void>((resolve) => (this.waiter = resolve));
      offset = this.copy(chunk, offset);
    }
  }

  /** Copies as much of `chunk` from `offset` as the ring takes; returns the new offset. */
  private copy(chunk: Uint8Array, offset: number): number {
    // The ring may already serve another stream.
    if (this.finished) throw new Error('the hasher was released');
    const size = RING_SIZE;
    let hashed = Infinity;
    for (const w of this.workers) {
      if (w.failure) throw w.failure;
      hashed = Math.min(hashed, w.hashed);
    }
    while (offset < chunk.length) {
      const head = this.written % size;
      // A slice never wraps: it runs to the ring's end at most, the rest starts again at 0.
      const room = Math.min(size - (this.written - hashed), size - head);
      if (room <= 0) break;
      const length = Math.min(room, chunk.length - offset);
      this.bytes.set(chunk.subarray(offset, offset + length), head);
      this.written += length;
      offset += length;
      if (this.written - this.announced >= BATCH || this.written % size === 0) this.announce();
    }
    return offset;
  }

  /** Tells every worker about the bytes copied since the last announcement. */
  private announce(): void {
    const length = this.written - this.announced;
    if (length === 0) return;
    const offset = this.announced % RING_SIZE;
    for (const w of this.workers) w.hash(offset, length);
    this.announced = this.written;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** The digests (hex), in the order of the algorithms. */
  async digest(): Promise<string[]> {
    if (this.finished) throw new Error('digest() was already called');
    this.finished = true;
    this.announce();
    const workers = this.workers;
    try {
      return await Promise.all(workers.map((w) => w.digest()));
    } finally {
      this.release();
    }
  }

  /** Gives the workers back without a digest (the upload failed). */
  dispose(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }

  private release(): void {
    const workers = this.workers;
    this.workers = [];
    workers.forEach(releaseWorker);
    this.wake();
    // A ring is reused only once no worker can still be reading it.
    if (
      workers.every((w) => w.inFlight === 0 && !w.pending && !w.failure) &&
      idleRings.length < MAX_IDLE_RINGS
    )
      idleRings.push(this.ring);
  }
}
