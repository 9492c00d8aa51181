import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import {
  DuplicateError,
  InvalidError,
  NotFoundError,
  StorageFullError,
} from '../../common/errors/domain-errors.js';
import type {
  ByteRange,
  Capability,
  StoreDriver,
  StoreReadResult,
  StoreWriteOptions,
  StoreWriteResult,
} from '../store-driver.js';

export interface FileStoreSettings {
  /** Absolute directory that holds the image files. */
  dataDir: string;
  /** Read buffer size (glance_store's filesystem_store_chunk_size). */
  chunkSize: number;
  /** Mode of new image files (filesystem_store_file_perm); 0 keeps the umask's default. */
  filePerm: number;
}

/** Hidden in-progress files; the registry removes leftovers at start. */
export const TEMP_PREFIX = '.incoming-';
/** Write errors that mean "no room": a full disk, a file over the size limit, a user's disk quota. */
const NO_SPACE = new Set(['ENOSPC', 'EFBIG', 'EDQUOT']);

/**
 * Image files in one directory, named by image id. A write goes to a hidden temp file in the same
 * directory, is flushed to disk, then linked to its final name, so a reader never sees a partial
 * file and a crash leaves only a temp file (never a short image).
 */
export class FileStoreDriver implements StoreDriver {
  readonly type = 'file';
  readonly schemes = ['file'] as const;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['read', 'write', 'random_access']);
  private readonly dataDir: string;

  constructor(private readonly settings: FileStoreSettings) {
    this.dataDir = resolve(settings.dataDir);
  }

  async add(imageId: string, data: Readable, options: StoreWriteOptions = {}): Promise<StoreWriteResult> {
    if (!/^[A-Za-z0-9._-]+$/.test(imageId) || imageId.startsWith('.')) {
      throw new InvalidError(`Invalid image id for a file store: ${imageId}`);
    }
    await mkdir(this.dataDir, { recursive: true });
    const target = join(this.dataDir, imageId);
    if (await exists(target)) throw new DuplicateError(`Image ${imageId} already exists in the store`);
    const temp = join(this.dataDir, `${TEMP_PREFIX}${imageId}.${randomBytes(6).toString('hex')}`);
    let size: number;
    try {
      const handle = await open(temp, 'wx', this.settings.filePerm || 0o666);
      const writer = new SyncingFileWriter(handle);
      await pipeline(data, writer, { signal: options.signal });
      size = writer.written;
      // link, unlike rename, refuses to replace a file another writer published meanwhile.
      await link(temp, target).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new DuplicateError(`Image ${imageId} already exists in the store`);
        throw err;
      });
      await unlink(temp);
      await syncDir(this.dataDir);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      if (NO_SPACE.has((err as NodeJS.ErrnoException).code ?? '')) throw new StorageFullError();
      throw err;
    }
    return { location: pathToFileURL(target).href, size, metadata: {} };
  }

  async get(location: string, range?: ByteRange): Promise<StoreReadResult> {
    const path = this.pathOf(location);
    const total = (await statOrNotFound(path, location)).size;
    const start = range?.offset ?? 0;
    const end = range?.length !== undefined ? Math.min(start + range.length, total) : total;
    const length = Math.max(0, end - start);
    if (length === 0) return { stream: Readable.from([]), length, totalSize: total };
    // createReadStream's end is inclusive.
    const stream = createReadStream(path, { start, end: end - 1, highWaterMark: this.settings.chunkSize });
    return { stream, length, totalSize: total };
  }

  async getSize(location: string): Promise<number> {
    const path = this.pathOf(location);
    return (await statOrNotFound(path, location)).size;
  }

  async delete(location: string): Promise<void> {
    const path = this.pathOf(location);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`Image file ${location} not found`);
      throw err;
    }
  }

  owns(location: string): boolean {
    try {
      this.pathOf(location);
      return true;
    } catch {
      return false;
    }
  }

  detailProperties(): Record<string, unknown> {
    // glance_store adds the trailing slash; thin provisioning is not offered here.
    return {
      data_dir: `${this.dataDir}${sep}`,
      chunk_size: this.settings.chunkSize,
      thin_provisioning: false,
    };
  }

  /** Temp files left by a crash mid-write; the registry removes them at start. */
  async sweepTemporaryFiles(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dataDir).catch(() => [] as string[])) {
      if (name.startsWith(TEMP_PREFIX)) {
        await unlink(join(this.dataDir, name)).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }

  /** Only paths inside this store's directory are served: a location is data, not a capability. */
  private pathOf(location: string): string {
    let path: string;
    try {
      path = resolve(fileURLToPath(location));
    } catch {
      throw new NotFoundError(`Location ${location} is not a file location`);
    }
    if (!path.startsWith(this.dataDir + sep)) {
      throw new NotFoundError(`Location ${location} is outside the store`);
    }
    return path;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function statOrNotFound(path: string, location: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`Image file ${location} not found`);
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Dirty bytes after which a background flush starts. */
const SYNC_EVERY = 32 * 1024 * 1024;

/**
 * Writes a stream to an open file and makes it durable before finishing. Flushing in the
 * background every SYNC_EVERY bytes lets the disk work while the pipeline hashes the next bytes,
 * instead of one long fsync after the last byte (which would add the disk time to the upload).
 */
class SyncingFileWriter extends Writable {
  private unsynced = 0;
  private syncing?: Promise<void>;
  written = 0;

  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.writeAll(chunk).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    (async () => {
      await this.syncing;
      await this.handle.sync();
      await this.handle.close();
    })().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // After _final the handle is closed already; closing twice only fails, harmlessly.
    Promise.resolve(this.syncing)
      .catch(() => undefined)
      .then(() => this.handle.close())
      .then(
        () => done(err),
        () => done(err),
      );
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset, null);
      offset += bytesWritten;
    }
    this.unsynced += chunk.length;
    this.written += chunk.length;
    if (this.unsynced >= SYNC_EVERY && !this.syncing) {
      this.unsynced = 0;
      const sync = this.handle.datasync();
      this.syncing = sync.finally(() => {
        if (this.syncing === tracked) this.syncing = undefined;
      });
      const tracked = this.syncing;
      // A failed background flush resurfaces in the final sync; it must not go unhandled here.
      tracked.catch(() => undefined);
    }
  }
}
