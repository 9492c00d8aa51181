import { constants, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * File offsets and lengths of direct writes are multiples of this: it covers disks with 512-byte
 * and with 4 KiB sectors.
 */
export const DIRECT_BLOCK = 4096;
/** Bytes gathered before one direct write; two such buffers per upload. */
export const DIRECT_STAGING = 4 * 1024 * 1024;
const MAX_IDLE_PAIRS = 4;

/** Open flags of a file written with {@link DirectFileWriter}. */
export const DIRECT_OPEN_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_DIRECT ?? 0);

/**
 * A buffer whose `view` starts at an address the kernel accepts for direct I/O. JavaScript cannot
 * see addresses, so the offset into a slightly larger allocation is found by trying: a misaligned
 * direct write fails with EINVAL before touching the disk.
 */
interface AlignedBuffer {
  view: Buffer;
}

interface AlignedPair {
  /** The device the alignment was probed on: another may need a coarser one. */
  device: number;
  buffers: AlignedBuffer[];
}

const idlePairs: AlignedPair[] = [];

/**
 * Two aligned staging buffers, probed on the file descriptor `fd` (opened with O_DIRECT, its first
 * block is overwritten), or undefined when no offset works (the caller then writes through the
 * page cache).
 */
export function takeAlignedPair(fd: number, device: number): AlignedPair | undefined {
  const idle = idlePairs.findIndex((p) => p.device === device);
  if (idle >= 0) return idlePairs.splice(idle, 1)[0];
  const buffers: AlignedBuffer[] = [];
  for (let i = 0; i < 2; i++) {
    const raw = Buffer.allocUnsafeSlow(DIRECT_STAGING + DIRECT_BLOCK);
    const offset = alignedOffset(fd, raw);
    if (offset === undefined) return undefined;
    buffers.push({ view: raw.subarray(offset, offset + DIRECT_STAGING) });
  }
  return { device, buffers };
}

function givePairBack(pair: AlignedPair): void {
  if (idlePairs.length < MAX_IDLE_PAIRS) idlePairs.push(pair);
}

/** Errors of a probe that say the disk is full, which the caller reports as such. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function alignedOffset(fd: number, raw: Buffer): number | undefined {
  // Allocations of this size are at least 16-byte aligned.
  for (let offset = 0; offset < DIRECT_BLOCK; offset += 16) {
    try {
      writeSync(fd, raw, offset, DIRECT_BLOCK, 0);
      return offset;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_ROOM.has(code)) throw err;
      // Anything but a misalignment: this filesystem's direct I/O is not usable here.
      if (code !== 'EINVAL') return undefined;
    }
  }
  return undefined;
}

/**
 * Writes a stream to a file opened with O_DIRECT: the bytes go from two aligned staging buffers
 * straight to the disk, one buffer filling while the other is written. Writing through the page
 * cache instead costs the kernel a new cached page per 4 KiB; on a virtual machine whose host
 * backs guest memory lazily that measured 0.35–3.4 s of CPU per GiB, more than hashing it, where
 * a direct write costs about 0.1 s and no flush of dirty pages is left for the final fsync.
 * The last partial block is written padded with zeros and the file truncated to its size.
 */
export class DirectFileWriter extends Writable {
  written = 0;
  private readonly buffers: AlignedBuffer[];
  private returned = false;
  private current = 0;
  private fill = 0;
  /** File offset of the current buffer's first byte. */
  private position = 0;
  private readonly inFlight: Array<Promise<void> | undefined> = [undefined, undefined];
  private failure?: Error;

  constructor(
    private readonly handle: FileHandle,
    private readonly pair: AlignedPair,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.buffers = pair.buffers;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    let waiting: Promise<void> | undefined;
    try {
      waiting = this.take(chunk, 0);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (waiting) waiting.then(() => done(), done);
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    (async () => {
      if (this.fill > 0) {
        const padded = Math.ceil(this.fill / DIRECT_BLOCK) * DIRECT_BLOCK;
        this.buffers[this.current].view.fill(0, this.fill, padded);
        this.flush(padded);
      }
      await Promise.all(this.pendingWrites());
      if (this.failure) throw this.failure;
      // Also drops the probe's block when nothing or less than a block was written.
      await this.handle.truncate(this.written);
      await this.handle.sync();
      await this.handle.close();
    })().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // The buffers go back only once no write can still be reading them.
    void Promise.allSettled(this.pendingWrites()).then(() => {
      if (!this.returned) givePairBack(this.pair);
      this.returned = true;
    });
    this.handle.close().then(
      () => done(err),
      () => done(err),
    );
  }

  private pendingWrites(): Array<Promise<void>> {
    return this.inFlight.filter((p): p is Promise<void> => p !== undefined);
  }

  /**
   * Copies `chunk` from `from` into the staging buffers; returns a promise when it had to wait for
   * a buffer's write to finish (the back-pressure point), nothing when all of it fitted at once.
   */
  private take(chunk: Buffer, from: number): Promise<void> | undefined {
    let offset = from;
    while (offset < chunk.length) {
      if (this.failure) throw this.failure;
      const pending = this.inFlight[this.current];
      if (pending) return pending.then(() => this.take(chunk, offset));
      const view = this.buffers[this.current].view;
      const copied = chunk.copy(view, this.fill, offset);
      this.fill += copied;
      offset += copied;
      this.written += copied;
      if (this.fill === view.length) this.flush(view.length);
    }
    return undefined;
  }

  /** Starts writing the current buffer's first `length` bytes and moves on to the other buffer. */
  private flush(length: number): void {
    const index = this.current;
    const view = this.buffers[index].view;
    const position = this.position;
    const write = async () => {
      let done = 0;
      while (done < length) {
        const { bytesWritten } = await this.handle.write(view, done, length - done, position + done);
        if (bytesWritten <= 0 || bytesWritten % DIRECT_BLOCK !== 0)
          throw new Error(`short direct write: ${bytesWritten} of ${length - done} bytes`);
        done += bytesWritten;
      }
    };
    const settled = write().then(
      () => {
        this.inFlight[index] = undefined;
      },
      (err: Error) => {
        this.failure ??= err;
        this.inFlight[index] = undefined;
      },
    );
    this.inFlight[index] = settled;
    this.position += length;
    this.fill = 0;
    this.current ^= 1;
  }
}
