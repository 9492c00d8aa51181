import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumMismatchError, VerifyingStream } from './verifying-stream.js';

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** Runs data through a VerifyingStream; returns the bytes that came out and the error, if any. */
async function run(data: Buffer, algorithm: string, expected: string, chunk = 1000) {
  const received: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, done) {
      received.push(c);
      done();
    },
  });
  const error = await pipeline(
    Readable.from(chunksOf(data, chunk)),
    new VerifyingStream(algorithm, expected),
    sink,
  ).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { out: Buffer.concat(received), error };
}

describe('VerifyingStream', () => {
  const data = randomBytes(10_500);

  it('passes every byte through when the digest matches (any hashing_algorithm)', async () => {
    for (const algorithm of ['md5', 'sha512', 'sha3_256']) {
      const digest = createHash(algorithm.replace('_', '-')).update(data).digest('hex');
      const { out, error } = await run(data, algorithm, digest);
      expect(error).toBeUndefined();
      expect(out.equals(data)).toBe(true);
    }
  });

  it('fails and withholds the last chunk when the digest differs', async () => {
    const digest = createHash('sha512').update(data).digest('hex');
    const corrupt = Buffer.from(data);
    corrupt[5] ^= 0xff;
    const { out, error } = await run(corrupt, 'sha512', digest);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(out.length).toBe(10_000);
    expect(out.length).toBeLessThan(data.length);
  });

  it('a single-chunk body is withheld entirely on a mismatch', async () => {
    const { out, error } = await run(Buffer.from('abc'), 'md5', 'f'.repeat(32));
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(out.length).toBe(0);
  });
});
