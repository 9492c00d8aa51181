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
import { DIRECT_OPEN_FLAGS, DirectFileWriter, takeAlignedPair } from './direct-file-writer.js';

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
/** Smallest read buffer of a download. */
const READ_BUFFER = 1024 * 1024;

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
      const writer = await openWriter(temp, this.settings.filePerm || 0o666);
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
    // Small reads (Glance's 64 KiB chunk size) cost a syscall and a socket write each; at least
    // READ_BUFFER per read keeps a download near loopback speed.
    const bufferSize = Math.max(this.settings.chunkSize, READ_BUFFER);
    let stream: Readable | undefined;
    return {
      length,
      totalSize: total,
      // Opened on first use: a caller that takes writeTo never opens it.
      get stream() {
        // createReadStream's end is inclusive.
        stream ??= createReadStream(path, { start, end: end - 1, highWaterMark: bufferSize });
        return stream;
      },
      writeTo: (sink, onSent) => writeFileRange(path, start, end, bufferSize, sink, onSent),
    };
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

  /**
   * Temp files left by a crash mid-write: those of one image (its writer is known to be dead), or
   * those untouched for `idleMs` (another process sharing the directory may be writing the rest).
   */
  async sweepTemporaryFiles(options: { imageId?: string; idleMs?: number } = {}): Promise<number> {
    let removed = 0;
    const prefix = options.imageId ? `${TEMP_PREFIX}${options.imageId}.` : TEMP_PREFIX;
    for (const name of await readdir(this.dataDir).catch(() => [] as string[])) {
      if (!name.startsWith(prefix)) continue;
      const path = join(this.dataDir, name);
      if (options.idleMs !== undefined) {
        const info = await stat(path).catch(() => null);
        if (!info || Date.now() - info.mtimeMs < options.idleMs) continue;
      }
      await unlink(path).catch(() => undefined);
      removed++;
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

/**
 * Copies bytes [start, end) of a file into `sink` through two buffers that are reused: a buffer is
 * read into again only once the sink has flushed it (its write callback). A read stream allocates
 * a new buffer per read instead, and in a process with a real heap the external-memory pressure
 * of a 1 GiB download then triggers a full garbage collection every few dozen MiB, which took half
 * the main thread's time when measured. `onSent` hears of each chunk the sink took. Rejects when
 * the sink fails or closes first, or the file ends early (the sink then has fewer bytes than
 * announced).
 */
export async function writeFileRange(
  path: string,
  start: number,
  end: number,
  bufferSize: number,
  sink: Writable,
  onSent?: (bytes: number) => void,
): Promise<void> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafeSlow(bufferSize), Buffer.allocUnsafeSlow(bufferSize)];
  const flushed: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  let gone: ((err: Error) => void) | undefined;
  const closed = new Promise<never>((_, reject) => (gone = reject));
  closed.catch(() => undefined);
  const onClose = () => gone?.(new Error('the receiver closed before the data was sent'));
  sink.once('close', onClose);
  try {
    let position = start;
    for (let i = 0; position < end; i ^= 1) {
      await Promise.race([flushed[i], closed]);
      const { bytesRead } = await handle.read(buffers[i], 0, Math.min(bufferSize, end - position), position);
      if (bytesRead === 0) throw new Error(`${path} ended at byte ${position}, before ${end}`);
      position += bytesRead;
      const chunk = buffers[i].subarray(0, bytesRead);
      flushed[i] = new Promise<void>((resolve, reject) =>
        sink.write(chunk, (err) => {
          if (err) reject(err);
          else {
            onSent?.(bytesRead);
            resolve();
          }
        }),
      );
      flushed[i].catch(() => undefined);
    }
    await Promise.race([Promise.all(flushed), closed]);
  } finally {
    sink.off('close', onClose);
    await handle.close();
  }
}

/**
 * A direct-I/O writer where the filesystem takes O_DIRECT with buffers this process can align, and
 * a page-cache writer otherwise.
 */
async function openWriter(path: string, mode: number): Promise<Writable & { written: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, DIRECT_OPEN_FLAGS, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    return new SyncingFileWriter(await open(path, 'wx', mode));
  }
  let buffers: ReturnType<typeof takeAlignedPair>;
  try {
    buffers = takeAlignedPair(handle.fd, (await handle.stat()).dev);
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (buffers) return new DirectFileWriter(handle, buffers);
  await handle.close();
  return new SyncingFileWriter(await open(path, 'w', mode));
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

/**
 * Writes a stream to an open file and makes it durable before finishing. Chunks that queue up
 * while a write is under way go out together in one writev, so a stream of 64 KiB network reads
 * costs one system call per MiB or so, not one each. The file is flushed once, at the end: every
 * flush of a growing file commits the filesystem journal, which also waits for other files'
 * pending data, so flushing as it goes made uploads slower (and costlier in CPU) beside other
 * writers, not faster. The kernel's own background writeback bounds what is left for that flush.
 */
class SyncingFileWriter extends Writable {
  written = 0;

  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => done(), done);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    done: (err?: Error | null) => void,
  ): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    (async () => {
      await this.handle.sync();
      await this.handle.close();
    })().then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // After _final the handle is closed already; closing twice only fails, harmlessly.
    this.handle.close().then(
      () => done(err),
      () => done(err),
    );
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of buffers) total += b.length;
    let left = buffers;
    let done = 0;
    while (done < total) {
      const { bytesWritten } = await this.handle.writev(left);
      done += bytesWritten;
      if (done < total) left = unwritten(left, bytesWritten);
    }
    this.written += total;
  }
}

/** What remains of `buffers` after a short write of `written` bytes. */
export function unwritten(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let i = 0;
  while (skip >= buffers[i].length) skip -= buffers[i++].length;
  return [buffers[i].subarray(skip), ...buffers.slice(i + 1)];
}
