import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidError, OverLimitError, UnsupportedMediaTypeError } from '../common/errors/domain-errors.js';
import * as fx from '../../test/fixtures/disk-images.js';
import { FileStoreDriver } from './drivers/file.driver.js';
import { imageDataOptions, storeImageData } from './image-data.pipeline.js';
import type { StoreImageDataOptions, StoreTarget } from './image-data.pipeline.js';
import { shutdownHashWorkers } from './parallel-hasher.js';

const CHUNK = 64 * 1024;

function source(data: Buffer, chunk = CHUNK): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts, { objectMode: false });
}

const hex = (algo: string, data: Buffer) => createHash(algo).update(data).digest('hex');

describe('storeImageData', () => {
  let dir: string;
  let target: StoreTarget;
  const files = () => readdirSync(dir);
  let n = 0;
  const opts = (extra: Partial<StoreImageDataOptions> = {}): StoreImageDataOptions => ({
    imageId: `image-${n++}`,
    sizeCap: 1 << 30,
    hashAlgo: 'sha512',
    ...extra,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glint-pipeline-'));
    const driver = new FileStoreDriver({ dataDir: dir, chunkSize: 65536, filePerm: 0 });
    target = { write: (id, d, o) => driver.add(id, d, o), delete: (l) => driver.delete(l) };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => shutdownHashWorkers());

  it('stores the data with its size, md5 checksum and multihash', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const out = await storeImageData(source(data), target, opts({ expectedSize: data.length }));
    expect(out).toMatchObject({
      size: data.length,
      checksum: hex('md5', data),
      osHashAlgo: 'sha512',
      osHashValue: hex('sha512', data),
      virtualSize: null,
    });
    expect(out.location).toMatch(/^file:\/\//);
    expect(files()).toEqual([expect.stringMatching(/^image-/)]);
  });

  it('hashes with the configured algorithm, sha3 included', async () => {
    const data = randomBytes(100_000);
    const sha256 = await storeImageData(source(data), target, opts({ hashAlgo: 'sha256' }));
    expect(sha256.osHashValue).toBe(hex('sha256', data));
    const sha3 = await storeImageData(source(data), target, opts({ hashAlgo: 'sha3_512' }));
    expect(sha3).toMatchObject({ osHashAlgo: 'sha3_512', osHashValue: hex('sha3-512', data) });
  });

  it('accepts empty data (md5 of nothing)', async () => {
    const out = await storeImageData(source(Buffer.alloc(0)), target, opts({ expectedSize: 0 }));
    expect(out).toMatchObject({ size: 0, checksum: 'd41d8cd98f00b204e9800998ecf8427e' });
  });

  it('gives the same digests whatever the chunking, through many reused workers', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const results = await Promise.all(
      [1000, 65536, 1 << 20, 9 * 1024 * 1024].map((chunk) =>
        storeImageData(source(data, chunk), target, opts()),
      ),
    );
    for (const r of results) expect(r.osHashValue).toBe(hex('sha512', data));
  });

  it('fails a short body with a size mismatch and stores nothing', async () => {
    const err = await storeImageData(source(Buffer.alloc(5)), target, opts({ expectedSize: 10 })).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(InvalidError);
    expect(err.message).toBe('Size mismatch: expected 10 bytes, got 5 bytes');
    expect(files()).toEqual([]);
  });

  it('stops a long body as soon as it passes the expected size', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += CHUNK;
        this.push(Buffer.alloc(CHUNK));
      },
    });
    await expect(storeImageData(endless, target, opts({ expectedSize: 1000 }))).rejects.toThrow(
      /^Size mismatch: expected 1000 bytes, got \d+ bytes$/,
    );
    expect(pulled).toBeLessThan(64 * CHUNK);
    expect(files()).toEqual([]);
  });

  it('enforces image_size_cap while streaming, and up front when the size is announced', async () => {
    const big = randomBytes(300_000);
    const err = await storeImageData(source(big), target, opts({ sizeCap: 100_000 })).catch((e) => e);
    expect(err).toBeInstanceOf(OverLimitError);
    expect(err.message).toBe('The incoming image is too large: The provided image is too large.');
    expect(files()).toEqual([]);
    const early = new Readable({ read: () => expect.unreachable('read before the cap check') });
    await expect(
      storeImageData(early, target, opts({ sizeCap: 10, expectedSize: 11 })),
    ).rejects.toBeInstanceOf(OverLimitError);
  });

  it('enforces the legacy storage quota with Glance message', async () => {
    const err = await storeImageData(
      source(randomBytes(200_000)),
      target,
      opts({ storageQuotaRemaining: 150_000 }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(OverLimitError);
    expect(err.message).toMatch(
      /^Image exceeds the storage quota: The size of the data \d+ will exceed the limit\. 150000 bytes remaining\.$/,
    );
    expect(files()).toEqual([]);
  });

  it('leaves nothing when the client goes away mid-upload', async () => {
    let sent = 0;
    const client = new Readable({
      read() {
        if (sent > 2 * 1024 * 1024) return this.destroy(new Error('aborted'));
        sent += CHUNK;
        this.push(randomBytes(CHUNK));
      },
    });
    await expect(storeImageData(client, target, opts())).rejects.toThrow('aborted');
    expect(files()).toEqual([]);
  });

  it('leaves nothing when aborted through its signal', async () => {
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(CHUNK));
      },
    });
    setTimeout(() => controller.abort(), 50);
    await expect(storeImageData(endless, target, opts({ signal: controller.signal }))).rejects.toThrow();
    expect(files()).toEqual([]);
  });

  it('passes a store error through and frees the source', async () => {
    const failing: StoreTarget = {
      write: async (_id, data) => {
        data.resume();
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('disk on fire');
      },
      delete: () => Promise.resolve(),
    };
    const src = source(randomBytes(1 << 20));
    await expect(storeImageData(src, failing, opts())).rejects.toThrow('disk on fire');
  });

  it('refuses unsafe or mismatched disk images (415) and stores nothing', async () => {
    const formats = { containerFormat: 'bare', requireMatch: true, vmdkAllowedTypes: ['monolithicSparse'] };
    const backed = fx.qcow2({ virtualSize: 1 << 30, backingFile: '/etc/passwd', length: 200_000 });
    await expect(
      storeImageData(source(backed), target, opts({ formats: { ...formats, diskFormat: 'qcow2' } })),
    ).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(
      storeImageData(
        source(randomBytes(10_000)),
        target,
        opts({ formats: { ...formats, diskFormat: 'qcow2' } }),
      ),
    ).rejects.toThrow(/not recognised as the declared disk_format qcow2/);
    expect(files()).toEqual([]);

    const good = fx.qcow2({ virtualSize: 1 << 30, length: 200_000 });
    const ok = await storeImageData(
      source(good),
      target,
      opts({ formats: { ...formats, diskFormat: 'qcow2' } }),
    );
    expect(ok.virtualSize).toBe(1 << 30);
    const raw = await storeImageData(
      source(good),
      target,
      opts({ formats: { ...formats, diskFormat: 'raw' } }),
    );
    expect(raw.virtualSize).toBe(200_000);
    // Only bare containers are inspected, as in Glance.
    const ovf = await storeImageData(
      source(backed),
      target,
      opts({ formats: { ...formats, diskFormat: 'qcow2', containerFormat: 'ovf' } }),
    );
    expect(ovf.virtualSize).toBeNull();
  });

  it('deletes stored data when it does not match the hashes the image already carries', async () => {
    const data = randomBytes(10_000);
    await expect(
      storeImageData(
        source(data),
        target,
        opts({ expect: { checksum: 'ffffffffffffffffffffffffffffffff' } }),
      ),
    ).rejects.toThrow(/^Checksum mismatch/);
    expect(files()).toEqual([]);
    const ok = await storeImageData(source(data), target, opts({ expect: { checksum: hex('md5', data) } }));
    expect(ok.checksum).toBe(hex('md5', data));
  });

  it('keeps back-pressure: a slow store holds the source back', async () => {
    let pulled = 0;
    let total = 0;
    const fast = new Readable({
      read() {
        if (pulled >= 48 * 1024 * 1024) return this.push(null);
        pulled += CHUNK;
        this.push(Buffer.alloc(CHUNK, 1));
      },
    });
    let maxAhead = 0;
    const slow: StoreTarget = {
      write: async (_id, data) => {
        await pipeline(
          data,
          new Writable({
            highWaterMark: CHUNK,
            write(chunk: Buffer, _e, done) {
              total += chunk.length;
              maxAhead = Math.max(maxAhead, pulled - total);
              setTimeout(done, 1);
            },
          }),
        );
        return { location: 'test://x', size: total, metadata: {} };
      },
      delete: () => Promise.resolve(),
    };
    const out = await storeImageData(fast, slow, opts());
    expect(out.size).toBe(48 * 1024 * 1024);
    // The transform's buffers (about 5 MiB) plus the source's own, never the whole upload.
    expect(maxAhead).toBeLessThan(8 * 1024 * 1024);
  }, 60_000);

  it('builds its options from the Glance settings and the image', () => {
    const glance = {
      image_size_cap: 1234,
      hashing_algorithm: 'sha256',
      image_format: { require_image_format_match: true, vmdk_allowed_types: ['monolithicSparse'] },
    };
    const image = { id: 'i1', disk_format: 'qcow2', container_format: 'bare', os_hash_algo: null };
    expect(imageDataOptions(glance, image)).toEqual({
      imageId: 'i1',
      sizeCap: 1234,
      hashAlgo: 'sha256',
      formats: {
        diskFormat: 'qcow2',
        containerFormat: 'bare',
        requireMatch: true,
        vmdkAllowedTypes: ['monolithicSparse'],
      },
      expect: { checksum: undefined, osHashValue: undefined },
    });
    expect(imageDataOptions(glance, { ...image, os_hash_algo: 'sha512' }).hashAlgo).toBe('sha512');
    expect(imageDataOptions(glance, image, false).formats).toBeUndefined();
  });
});
