import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStoreDriver, unwritten } from './file.driver.js';

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
