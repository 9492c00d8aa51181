import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStoreDriver } from './file.driver.js';

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
