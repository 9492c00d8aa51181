/**
 * Throughput of the image-data pipeline (md5 + multihash on two threads, size count, format
 * inspection) against coreutils' sha512sum on the same file.
 *
 *   npm run -s build && node dist/bench/image-data.js [sizeMiB=1024] [rounds=3]
 *
 * Each round runs sha512sum, the pipeline into a discarding store, and the pipeline into a file
 * store, back to back, so a busy machine slows all three alike. The file is made once (random bytes)
 * under the system temp dir and read from the page cache.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { FileStoreDriver } from '../src/stores/drivers/file.driver.js';
import { storeImageData } from '../src/stores/image-data.pipeline.js';
import type { StoreTarget } from '../src/stores/image-data.pipeline.js';
import { shutdownHashWorkers } from '../src/stores/parallel-hasher.js';

const MIB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 3);
const file = join(tmpdir(), `glint-bench-${sizeMiB}MiB.bin`);

async function makeFile(): Promise<void> {
  if (existsSync(file) && statSync(file).size === sizeMiB * MIB) return;
  let left = sizeMiB;
  const out = createWriteStream(file);
  for (; left > 0; left--) {
    if (!out.write(randomBytes(MIB))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** A store that reads and drops the data: the pipeline's own cost, without disk writes. */
const discard: StoreTarget = {
  async write(_id: string, data: Readable) {
    let size = 0;
    await pipeline(
      data,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done();
        },
      }),
    );
    return { location: 'null://', size, metadata: {} };
  },
  delete: () => Promise.resolve(),
};

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function runPipeline(target: StoreTarget, id: string): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await storeImageData(createReadStream(file, { highWaterMark: MIB }), target, {
    imageId: id,
    sizeCap: Number.MAX_SAFE_INTEGER,
    hashAlgo: 'sha512',
    expectedSize: sizeMiB * MIB,
    formats: { diskFormat: 'raw', containerFormat: 'bare', requireMatch: true, vmdkAllowedTypes: [] },
  });
  if (result.size !== sizeMiB * MIB) throw new Error('short read');
  return seconds(start);
}

function runSha512sum(): number {
  const start = process.hrtime.bigint();
  const res = spawnSync('sha512sum', [file], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return seconds(start);
}

async function main(): Promise<void> {
  await makeFile();
  spawnSync('cat', [file], { stdio: 'ignore' }); // warm the page cache
  const storeDir = mkdtempSync(join(tmpdir(), 'glint-bench-store-'));
  const fileStore = new FileStoreDriver({ dataDir: storeDir, chunkSize: 65536, filePerm: 0 });
  const fileTarget: StoreTarget = {
    write: (id, data, o) => fileStore.add(id, data, o),
    delete: (loc) => fileStore.delete(loc),
  };
  const rate = (s: number) => (sizeMiB / s).toFixed(0);
  console.log(`file ${file} (${sizeMiB} MiB), ${rounds} rounds`);
  console.log('round  sha512sum MiB/s  pipeline→discard MiB/s (ratio)  pipeline→file store MiB/s (ratio)');
  const ratios: number[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const ref = runSha512sum();
      const nul = await runPipeline(discard, `bench-${r}`);
      const disk = await runPipeline(fileTarget, `bench-${r}`);
      await fileStore.delete(`file://${join(storeDir, `bench-${r}`)}`);
      ratios.push(ref / nul);
      console.log(
        `${r}      ${rate(ref).padStart(6)}           ${rate(nul).padStart(6)} (${(ref / nul).toFixed(2)}×)` +
          `                ${rate(disk).padStart(6)} (${(ref / disk).toFixed(2)}×)`,
      );
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    console.log(`median pipeline/sha512sum speed ratio: ${median.toFixed(2)}×`);
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
    await shutdownHashWorkers();
  }
}

await main();
