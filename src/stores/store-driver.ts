import type { Readable, Writable } from 'node:stream';

/**
 * What a store can do. `random_access` means a read can start at any offset (ranged download);
 * a store without `write` is read-only (glance_store's http store).
 */
export type Capability = 'read' | 'write' | 'random_access';

/** A byte range already resolved against the image size: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  /** Absent: to the end of the data. */
  length?: number;
}

export interface StoreWriteOptions {
  /** Bytes the caller announced; a driver may use it to size parts, never to trust the data. */
  expectedSize?: number;
  /** Aborting it stops the write and removes whatever was written. */
  signal?: AbortSignal;
}

/** What a successful write leaves behind. */
export interface StoreWriteResult {
  /** Where the data now lives, in the driver's scheme (`file:///…`, `s3+http://host/bucket/key`). */
  location: string;
  size: number;
  /** Drivers that hash as they write report it; the image-data pipeline hashes anyway. */
  md5?: string;
  multihash?: string;
  /** Goes into the location's metadata (the pipeline adds `store`). */
  metadata: Record<string, string>;
}

export interface StoreReadResult {
  stream: Readable;
  /**
   * A faster way to the same bytes, for drivers that have one: writes them into `sink` (without
   * ending it), calling `onSent` with each chunk's size once the sink has taken it. Rejects when
   * the sink fails or closes first. Use it instead of `stream`, never both.
   */
  writeTo?(sink: Writable, onSent?: (bytes: number) => void): Promise<void>;
  /** Bytes this stream will deliver, when the store knows it. */
  length?: number;
  /** Size of the whole object, when the store knows it. */
  totalSize?: number;
}

/**
 * A store back end. Drivers are plain classes built from their validated options; the registry
 * gives them an id and refuses writes to stores without the `write` capability.
 *
 * Contract (test/contract/store-driver.contract.ts checks every driver):
 * - `add` consumes the stream with back-pressure; when it rejects (stream error, abort, store
 *   error) nothing of the object remains in the store, and no partial object is ever readable.
 * - `get` streams the data or a range of it; `delete` removes it. A missing object is
 *   `NotFoundError` for both.
 */
export interface StoreDriver {
  readonly type: string;
  /** URL schemes of the locations this driver writes and reads. */
  readonly schemes: readonly string[];
  readonly capabilities: ReadonlySet<Capability>;
  add(imageId: string, data: Readable, options?: StoreWriteOptions): Promise<StoreWriteResult>;
  get(location: string, range?: ByteRange): Promise<StoreReadResult>;
  getSize(location: string): Promise<number>;
  delete(location: string): Promise<void>;
  /** Whether a location belongs to this store (not merely to its scheme). */
  owns(location: string): boolean;
  /** The `properties` shown by GET /v2/info/stores/detail, as glance_store names them. */
  detailProperties(): Record<string, unknown>;
  /** Releases connections; the registry calls it at shutdown. */
  close?(): Promise<void>;
}

/** Thrown by writes to a store that lacks the `write` capability. */
export function isReadOnly(driver: StoreDriver): boolean {
  return !driver.capabilities.has('write');
}
