import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStoreDriver } from '../../src/stores/drivers/file.driver.js';
import { storeDriverContract } from './store-driver.contract.js';

storeDriverContract('file', { readOnly: false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glint-file-store-'));
  const dataDir = join(dir, 'images');
  return Promise.resolve({
    driver: new FileStoreDriver({ dataDir, chunkSize: 65536, filePerm: 0 }),
    leftovers: () =>
      readdir(dataDir).then(
        (names) => names.sort(),
        () => [],
      ),
    missingLocation: () => pathToFileURL(join(dataDir, 'no-such-image')).href,
    close: () => rm(dir, { recursive: true, force: true }),
  });
});
