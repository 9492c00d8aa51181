import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { nodeHashName } from '../stores/parallel-hasher.js';

/** The data read back does not hash to what the image records. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly algorithm: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${algorithm} of the data read is ${actual}, the image records ${expected}`);
  }
}

/**
 * A pass-through that hashes what goes by and holds back the latest chunk until the next one
 * arrives. The last chunk is released only once the digest matches, so on a mismatch the reader
 * never gets the whole body: with a Content-Length response the client sees a short, failed
 * transfer instead of a complete one that it would have to verify itself.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private held?: Buffer;

  constructor(
    private readonly algorithm: string,
    private readonly expected: string,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.hash = createHash(nodeHashName(algorithm));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    done(null, previous);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected.toLowerCase()) {
      done(new ChecksumMismatchError(this.algorithm, this.expected, actual));
      return;
    }
    done(null, this.held);
  }
}
