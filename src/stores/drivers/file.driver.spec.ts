import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileStoreDriver, unwritten, writeFileRange } from './file.driver.js';

describe('unwritten', () => {
  const parts = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
  const text = (buffers: Buffer[]) => Buffer.concat(buffers).toString();

  it('resumes a short writev inside a buffer', () => {
    expect(text(unwritten(parts, 1))).toBe('bcdefgh');
    expect(text(unwritten(parts, 4))).toBe('efgh');
  });

  it('resumes a short writev on a buffer boundary', () => {
    expect(unwritten(parts, 3).map(String)).toEqual(['de', 'fgh']);
    expect(text(unwritten(parts, 5))).toBe('fgh');
  });
});

describe('FileStoreDriver.sweepTemporaryFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glint-sweep-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a temp file that is still being written (another process may share the directory)', async () => {
    const driver = new FileStoreDriver({ dataDir: dir, chunkSize: 65536, filePerm: 0 });
    for (const name of ['.incoming-a.1', '.incoming-b.2', '.incoming-c.3', 'done-image'])
      writeFileSync(join(dir, name), 'x');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, '.incoming-a.1'), old, old);

    expect(await driver.sweepTemporaryFiles({ idleMs: 600_000 })).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.incoming-b.2', '.incoming-c.3', 'done-image']);
    // A writer known to be dead: its image's temp files go whatever their age.
    expect(await driver.sweepTemporaryFiles({ imageId: 'b' })).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['.incoming-c.3', 'done-image']);
  });
});

const MIB = 1024 * 1024;

/** A sink that keeps copies of what it was given (the writer reuses its buffers). */
function collector(): { sink: Writable; bytes(): Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _e, done) {
      parts.push(Buffer.from(chunk));
      setImmediate(done); // flushed later, as a socket would
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

describe('writeFileRange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glint-range-'));
  const path = join(dir, 'image');
  const data = randomBytes(5 * MIB + 333);
  writeFileSync(path, data);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the whole file and any range, byte for byte, through reused buffers', async () => {
    for (const [start, end] of [
      [0, data.length],
      [7, 3 * MIB + 5],
      [MIB, MIB + 1],
    ]) {
      const out = collector();
      let reported = 0;
      await writeFileRange(path, start, end, MIB, out.sink, (n) => (reported += n));
      expect(out.bytes().equals(data.subarray(start, end))).toBe(true);
      expect(reported).toBe(end - start);
    }
  });

  it('fails when the file is shorter than the range', async () => {
    const { sink } = collector();
    await expect(writeFileRange(path, 0, data.length + 10, MIB, sink)).rejects.toThrow(/ended at byte/);
  });

  it('stops when the receiver goes away, reporting only what it took', async () => {
    let result: Promise<void> | undefined;
    let reported = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(data.length) });
      result = writeFileRange(path, 0, data.length, 64 * 1024, res, (n) => (reported += n));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = get({ host: '127.0.0.1', port }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => resolve());
      });
      // The failed write (ECONNRESET) or the close, whichever the socket reports first.
      await expect(result).rejects.toThrow();
      expect(reported).toBeLessThan(data.length);
    } finally {
      server.close();
    }
  });
});
