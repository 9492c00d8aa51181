import { Transform, finished } from 'node:stream';
import type { Readable } from 'node:stream';
import { IncomingMessage } from 'node:http';
import { InvalidError, OverLimitError } from '../common/errors/domain-errors.js';
import { FormatInspector } from './formats/format-inspector.js';
import { judgeImageFormat, shouldInspect } from './formats/format-policy.js';
import type { DeclaredFormats } from './formats/format-policy.js';
import { ParallelHasher } from './parallel-hasher.js';
import type { StoreWriteOptions, StoreWriteResult } from './store-driver.js';

/** Where the pipeline writes: a store as the registry hands it out (`registry.target(store)`). */
export interface StoreTarget {
  write(imageId: string, data: Readable, options?: StoreWriteOptions): Promise<StoreWriteResult>;
  delete(location: string): Promise<void>;
}

export interface StoreImageDataOptions {
  imageId: string;
  /** x-openstack-image-size, else Content-Length; the bytes received must match it. */
  expectedSize?: number;
  /** image_size_cap. */
  sizeCap: number;
  /** Bytes left under the legacy user_storage_quota; undefined when the quota is off. */
  storageQuotaRemaining?: number;
  /** The image's os_hash_algo (configured hashing_algorithm for new data). */
  hashAlgo: string;
  /** Declared formats: with a bare container the content is inspected and judged. */
  formats?: DeclaredFormats & { vmdkAllowedTypes: readonly string[] };
  /** Values the image already carries (location validation data): new data must match them. */
  expect?: { checksum?: string | null; osHashValue?: string | null };
  /** Aborting it (client gone, image deleted) fails the write and removes what was written. */
  signal?: AbortSignal;
}

export interface StoredImageData {
  location: string;
  /** Location metadata (has `store` in multi-store mode). */
  metadata: Record<string, string>;
  size: number;
  /** md5, hex. */
  checksum: string;
  osHashAlgo: string;
  osHashValue: string;
  /** From the detected disk format; null when the content was not inspected or gives none. */
  virtualSize: number | null;
}

/** The abort reason of an upload whose client closed the connection before the data ended. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the data ended');
  }
}

/**
 * An upload cut short by its client, worded as Glance's server reports it: with a declared length,
 * WebOb's count of the bytes still expected; with chunked framing, eventlet's failed read of the
 * next chunk size.
 */
export class ClientDisconnectedError extends InvalidError {
  constructor(readonly missingBytes: number | undefined) {
    super(
      missingBytes === undefined
        ? "invalid literal for int() with base 16: b''"
        : `The client disconnected while sending the body (${missingBytes} more bytes were expected)`,
    );
  }
}

/**
 * Whether the data stopped because the HTTP client sending it left: the request's signal says so,
 * or the request was destroyed before its body was complete (its own 'aborted' error can come
 * before the signal). A remote server that breaks off a web-download is not a client leaving.
 */
function clientLeft(source: Readable, signal: AbortSignal | undefined): boolean {
  if (signal?.reason instanceof ClientGoneError) return true;
  return source instanceof IncomingMessage && !source.complete && source.destroyed;
}

/** The data's checksum or multihash differs from the value it was expected to have. */
export class HashMismatchError extends InvalidError {}

/**
 * The size cap or the storage quota refused the data. The answer says `<summary>: <reason>`; the
 * failure notification, as Glance's, carries only the reason (what its store layer raised).
 */
export class UploadLimitError extends OverLimitError {
  constructor(
    summary: string,
    readonly reason: string,
  ) {
    super(`${summary}: ${reason}`);
  }
}

export function sizeCapExceeded(): UploadLimitError {
  return new UploadLimitError('The incoming image is too large', 'The provided image is too large.');
}

export function storageQuotaExceeded(size: number, remaining: number): UploadLimitError {
  return new UploadLimitError(
    'Image exceeds the storage quota',
    `The size of the data ${size} will exceed the limit. ${Math.max(remaining, 0)} bytes remaining.`,
  );
}

export function sizeMismatch(expected: number, got: number): InvalidError {
  return new InvalidError(`Size mismatch: expected ${expected} bytes, got ${got} bytes`);
}

/**
 * Streams image data into a store while counting, hashing (md5 and the multihash, each on its own
 * worker thread) and inspecting the disk format, with back-pressure all the way from the store to the
 * source. Any failure (size cap or quota, size mismatch, unsafe or mismatched format, client
 * abort, store error) leaves nothing in the store: the driver drops a write that fails, and data
 * already stored is deleted when a check after the write fails.
 *
 * `source` is unpiped but not destroyed on failure, so an endpoint can still send its error reply;
 * it then drains or closes the request (for a large body, reply with `Connection: close`).
 */
export async function storeImageData(
  source: Readable,
  target: StoreTarget,
  options: StoreImageDataOptions,
): Promise<StoredImageData> {
  const { expectedSize, sizeCap, storageQuotaRemaining: quota } = options;
  // A declared size meets the quota first, as in Glance, where the cap is met only while reading.
  if (expectedSize !== undefined && quota !== undefined && expectedSize > quota) {
    throw storageQuotaExceeded(expectedSize, quota);
  }
  if (expectedSize !== undefined && expectedSize > sizeCap) throw sizeCapExceeded();

  const hasher = new ParallelHasher(['md5', options.hashAlgo]);
  const inspect = options.formats && shouldInspect(options.formats);
  const inspector = inspect
    ? new FormatInspector({ vmdkAllowedTypes: options.formats!.vmdkAllowedTypes })
    : undefined;
  let size = 0;
  let virtualSize: number | null = null;
  // The meter's own refusal (cap, quota, size, format) is the reason to report, not the store's
  // "stream destroyed" that follows from it.
  let refusal: Error | undefined;
  const refuse = (err: Error) => (refusal ??= err);

  const meter = new Transform({
    // A few MiB between hashing and the store let both run at once; memory stays bounded.
    writableHighWaterMark: 1024 * 1024,
    readableHighWaterMark: 4 * 1024 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > sizeCap) return done(refuse(sizeCapExceeded()));
      if (quota !== undefined && size > quota) return done(refuse(storageQuotaExceeded(size, quota)));
      if (expectedSize !== undefined && size > expectedSize)
        return done(refuse(sizeMismatch(expectedSize, size)));
      try {
        inspector?.write(chunk);
      } catch (err) {
        return done(refuse(err as Error));
      }
      let room: Promise<void> | undefined;
      try {
        room = hasher.update(chunk);
      } catch (err) {
        return done(err as Error);
      }
      // Most chunks fit into the hash ring at once; only a full ring costs a promise.
      if (!room) return done(null, chunk);
      room.then(
        () => done(null, chunk),
        (err: Error) => done(err),
      );
    },
    flush(done) {
      if (expectedSize !== undefined && size !== expectedSize)
        return done(refuse(sizeMismatch(expectedSize, size)));
      try {
        // Judged before the store commits, so a refused image is never published.
        if (inspector) virtualSize = judgeImageFormat(inspector.finish(), options.formats!, size);
      } catch (err) {
        return done(refuse(err as Error));
      }
      done();
    },
  });
  // Errors of the source (client abort) reach the meter, and from there the store's write. The
  // source itself is never destroyed here: an HTTP request must stay open for the error reply.
  const stopWatching = finished(source, { writable: false }, (err) => {
    if (err && !meter.destroyed) meter.destroy(err);
  });
  // The store's write reports the meter's failure; this keeps a failure that the store's own
  // stream plumbing has already stopped listening for from becoming an uncaught exception.
  meter.on('error', () => undefined);
  source.pipe(meter);
  const detach = () => {
    stopWatching();
    source.unpipe(meter);
  };

  let written: StoreWriteResult;
  try {
    written = await target.write(options.imageId, meter, { expectedSize, signal: options.signal });
  } catch (err) {
    // Bytes that arrived, counted or still queued on their way to the meter.
    const received = size + meter.writableLength + source.readableLength;
    detach();
    hasher.dispose();
    if (!meter.destroyed) meter.destroy();
    if (refusal) throw refusal;
    if (clientLeft(source, options.signal))
      throw new ClientDisconnectedError(expectedSize === undefined ? undefined : expectedSize - received);
    throw err;
  }
  detach();
  try {
    const [checksum, osHashValue] = await hasher.digest();
    if (written.size !== size) throw new Error(`store wrote ${written.size} bytes of ${size}`);
    if (options.expect?.checksum && options.expect.checksum !== checksum) {
      throw new HashMismatchError(`Checksum mismatch: expected ${options.expect.checksum}, got ${checksum}`);
    }
    if (options.expect?.osHashValue && options.expect.osHashValue !== osHashValue) {
      throw new HashMismatchError(
        `${options.hashAlgo} hash mismatch: expected ${options.expect.osHashValue}, got ${osHashValue}`,
      );
    }
    return {
      location: written.location,
      metadata: written.metadata,
      size,
      checksum,
      osHashAlgo: options.hashAlgo,
      osHashValue,
      virtualSize,
    };
  } catch (err) {
    hasher.dispose();
    await target.delete(written.location).catch(() => undefined);
    throw err;
  }
}

/** The image fields that shape an upload. */
export interface ImageDataSubject {
  id: string;
  disk_format: string | null;
  container_format: string | null;
  /** Kept by an image for later copies; null on new data. */
  os_hash_algo?: string | null;
  checksum?: string | null;
  os_hash_value?: string | null;
}

/**
 * The pipeline options for an image under the configured Glance options; the endpoint adds what
 * only the request knows (expectedSize, storageQuotaRemaining, signal).
 */
export function imageDataOptions(
  glance: {
    image_size_cap: number;
    hashing_algorithm: string;
    image_format: { require_image_format_match: boolean; vmdk_allowed_types: string[] };
  },
  image: ImageDataSubject,
  inspect = true,
): StoreImageDataOptions {
  return {
    imageId: image.id,
    sizeCap: glance.image_size_cap,
    hashAlgo: image.os_hash_algo || glance.hashing_algorithm,
    formats:
      inspect && image.disk_format && image.container_format
        ? {
            diskFormat: image.disk_format,
            containerFormat: image.container_format,
            requireMatch: glance.image_format.require_image_format_match,
            vmdkAllowedTypes: glance.image_format.vmdk_allowed_types,
          }
        : undefined,
    expect: { checksum: image.checksum, osHashValue: image.os_hash_value },
  };
}
