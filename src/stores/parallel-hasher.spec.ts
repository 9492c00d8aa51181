import { createHash, randomBytes } from 'node:crypto';
import { ParallelHasher, nodeHashName, shutdownHashWorkers } from './parallel-hasher.js';

describe('ParallelHasher', () => {
  afterAll(() => shutdownHashWorkers());

  it('computes both digests, also for chunks larger than its ring buffer', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const hasher = new ParallelHasher(['md5', 'sha512']);
    await hasher.update(data.subarray(0, 100));
    await hasher.update(data.subarray(100)); // bigger than the 8 MiB ring: copied in turns
    expect(await hasher.digest()).toEqual([
      createHash('md5').update(data).digest('hex'),
      createHash('sha512').update(data).digest('hex'),
    ]);
  });

  it('keeps the digests right for odd-sized pieces that wrap around the ring', async () => {
    const data = randomBytes(19 * 1024 * 1024 + 12345);
    const hasher = new ParallelHasher(['md5', 'sha3_256']);
    for (let i = 0; i < data.length; i += 65_537) await hasher.update(data.subarray(i, i + 65_537));
    expect(await hasher.digest()).toEqual([
      createHash('md5').update(data).digest('hex'),
      createHash('sha3-256').update(data).digest('hex'),
    ]);
  });

  it('fails a feed still waiting for room when the hasher is disposed', async () => {
    const hasher = new ParallelHasher(['md5', 'sha512']);
    const feeding = hasher.update(randomBytes(20 * 1024 * 1024));
    expect(feeding).toBeInstanceOf(Promise);
    hasher.dispose();
    await expect(feeding).rejects.toThrow(/released/);
  });

  it('refuses an unknown algorithm at once', () => {
    expect(() => new ParallelHasher(['md5', 'crc0'])).toThrow();
  });

  it('runs concurrent streams on separate workers without mixing them', async () => {
    const a = randomBytes(3_000_000);
    const b = randomBytes(3_000_000);
    const ha = new ParallelHasher(['md5', 'sha256']);
    const hb = new ParallelHasher(['md5', 'sha256']);
    for (let i = 0; i < a.length; i += 65536) {
      await Promise.all([ha.update(a.subarray(i, i + 65536)), hb.update(b.subarray(i, i + 65536))]);
    }
    const [da, db] = await Promise.all([ha.digest(), hb.digest()]);
    expect(da[1]).toBe(createHash('sha256').update(a).digest('hex'));
    expect(db[1]).toBe(createHash('sha256').update(b).digest('hex'));
  });

  it('a disposed hasher frees its worker for the next stream', async () => {
    const first = new ParallelHasher(['md5', 'sha512']);
    await first.update(randomBytes(1000));
    first.dispose();
    const data = randomBytes(5000);
    const second = new ParallelHasher(['md5', 'sha512']);
    await second.update(data);
    expect((await second.digest())[1]).toBe(createHash('sha512').update(data).digest('hex'));
  });

  it("maps Glance's sha3 names to Node's", () => {
    expect(nodeHashName('sha3_256')).toBe('sha3-256');
    expect(nodeHashName('sha512')).toBe('sha512');
  });
});
