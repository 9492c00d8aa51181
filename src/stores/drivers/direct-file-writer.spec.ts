import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import {
  DIRECT_BLOCK,
  DIRECT_OPEN_FLAGS,
  DIRECT_STAGING,
  DirectFileWriter,
  takeAlignedPair,
} from './direct-file-writer.js';
import { FileStoreDriver } from './file.driver.js';

/** `data` cut into pieces of random sizes, as network reads arrive. */
function pieces(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const size = 1 + Math.floor(Math.random() * 200_000);
    parts.push(data.subarray(at, at + size));
    at += size;
  }
  return Readable.from(parts);
}

describe('DirectFileWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'glint-direct-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sizes = [
    0,
    1,
    DIRECT_BLOCK - 1,
    DIRECT_BLOCK,
    DIRECT_BLOCK + 1,
    DIRECT_STAGING - 1,
    DIRECT_STAGING,
    DIRECT_STAGING + 1,
    2 * DIRECT_STAGING + 12_345,
  ];

  it.each(sizes)('stores exactly the %i bytes it was given, through the file store', async (size) => {
    const driver = new FileStoreDriver({ dataDir: dir, chunkSize: 65536, filePerm: 0 });
    const data = randomBytes(size);
    const id = `image-${size}`;
    const result = await driver.add(id, pieces(data));
    expect(result.size).toBe(size);
    expect(readFileSync(fileURLToPath(result.location)).equals(data)).toBe(true);
    expect(readdirSync(dir)).toEqual([id]);
  });

  it('passes a failed disk write to the stream, once the buffer it belongs to is reused', async () => {
    const path = join(dir, 'failing');
    const real = await open(path, DIRECT_OPEN_FLAGS, 0o600);
    const pair = takeAlignedPair(real.fd, (await real.stat()).dev);
    // ext4 and tmpfs (where tests run) both take O_DIRECT: the writer must be in use here.
    expect(pair).toBeDefined();
    if (!pair) return;
    let writes = 0;
    const failing = {
      write: () => {
        writes++;
        return Promise.reject(Object.assign(new Error('no room'), { code: 'ENOSPC' }));
      },
      truncate: () => real.truncate(0),
      sync: () => real.sync(),
      close: () => real.close(),
    } as unknown as FileHandle;
    const writer = new DirectFileWriter(failing, pair);
    await expect(pipeline(pieces(randomBytes(3 * DIRECT_STAGING)), writer)).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(writes).toBeGreaterThan(0);
  });
});
