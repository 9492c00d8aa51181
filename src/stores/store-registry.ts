import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConfigError } from '../config/app-config.js';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import {
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
} from '../common/errors/domain-errors.js';
import { FileStoreDriver } from './drivers/file.driver.js';
import { HttpStoreDriver } from './drivers/http.driver.js';
import { S3StoreDriver, S3_MIN_PART_SIZE, s3Endpoint, s3PathStyle } from './drivers/s3.driver.js';
import { isReadOnly } from './store-driver.js';
import { storeImageData } from './image-data.pipeline.js';
import type { StoreImageDataOptions, StoreTarget, StoredImageData } from './image-data.pipeline.js';
import type {
  ByteRange,
  StoreDriver,
  StoreReadResult,
  StoreWriteOptions,
  StoreWriteResult,
} from './store-driver.js';
import {
  FileStoreOptions,
  HttpStoreOptions,
  ReservedStoreOptions,
  STORE_OPTION_CLASSES,
  S3StoreOptions,
  parseOptions,
} from './store-options.js';
import type { StoreOptions, StoreType } from './store-options.js';

export const STAGING_STORE = 'os_glance_staging_store';
/** A temp file nobody wrote to for this long belongs to a dead writer. */
const STALE_TEMP_MS = 10 * 60_000;
export const TASKS_STORE = 'os_glance_tasks_store';
const RESERVED_PREFIX = 'os_glance_';
/** The id of the default store in single-store mode (never shown: that mode lists no stores). */
export const SINGLE_STORE_ID = 'default';

/** A configured store: its driver plus what the API says about it. */
export interface Store {
  readonly id: string;
  readonly type: StoreType;
  readonly description?: string;
  readonly weight: number;
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  /** os_glance_* stores: internal, never listed. */
  readonly reserved: boolean;
  readonly driver: StoreDriver;
}

/** An image location as the images feature keeps it (Glance's `{url, metadata}`). */
export interface ImageLocation {
  url: string;
  metadata: Record<string, unknown>;
}

/** One entry of GET /v2/info/stores[/detail]. Key order is Glance's. */
export interface StoreInfo {
  id: string;
  description?: string;
  default?: 'true';
  'read-only'?: 'true';
  type?: string;
  weight?: number;
  properties?: Record<string, unknown>;
}

/** Builds a driver from its validated options. Registering a type here is what enables it. */
const DRIVERS: {
  [T in StoreType]: (options: InstanceType<(typeof STORE_OPTION_CLASSES)[T]>, dataDir: string) => StoreDriver;
} = {
  file: (o, dataDir) =>
    new FileStoreDriver({
      dataDir: o.filesystem_store_datadir
        ? resolveDir(dataDir, o.filesystem_store_datadir)
        : resolve(dataDir, 'images'),
      chunkSize: o.filesystem_store_chunk_size,
      filePerm: o.filesystem_store_file_perm,
    }),
  s3: (o) =>
    new S3StoreDriver({
      endpoint: o.s3_store_host,
      region: o.s3_store_region_name || 'us-east-1',
      bucket: o.s3_store_bucket,
      accessKey: o.s3_store_access_key,
      secretKey: o.s3_store_secret_key,
      forcePathStyle: s3PathStyle(o.s3_store_bucket_url_format, s3Endpoint(o.s3_store_host)),
      createBucketOnPut: o.s3_store_create_bucket_on_put,
      partSize: Math.max(o.s3_store_large_object_chunk_size * 1024 * 1024, S3_MIN_PART_SIZE),
      queueSize: o.s3_store_thread_pools,
      largeObjectSizeMb: o.s3_store_large_object_size,
    }),
  http: (o) =>
    new HttpStoreDriver({
      insecure: o.https_insecure,
      caFile: o.https_ca_certificates_file,
      proxies: o.http_proxy_information,
      maxRedirects: 5,
      timeoutMs: 60_000,
    }),
};

function resolveDir(dataDir: string, dir: string): string {
  return isAbsolute(dir) ? dir : resolve(dataDir, dir);
}

function isStoreType(type: unknown): type is StoreType {
  return typeof type === 'string' && Object.hasOwn(DRIVERS, type);
}

function asMapping(raw: unknown, name: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`GLINT_CONFIG: ${name} must be a mapping`);
  return raw as Record<string, unknown>;
}

function makeStore(
  id: string,
  type: StoreType,
  options: StoreOptions,
  dataDir: string,
  flags: { isDefault: boolean; reserved?: boolean },
): Store {
  const build = DRIVERS[type] as (o: StoreOptions, dataDir: string) => StoreDriver;
  let driver: StoreDriver;
  try {
    driver = build(options, dataDir);
  } catch (err) {
    throw new ConfigError(`GLINT_CONFIG: store ${id}: ${(err as Error).message}`);
  }
  return {
    id,
    type,
    description: options.store_description,
    weight: options.weight,
    isDefault: flags.isDefault,
    readOnly: isReadOnly(driver),
    reserved: flags.reserved ?? false,
    driver,
  };
}

/**
 * Reads the `stores` section of GLINT_CONFIG with Glance's semantics:
 * - with `enabled_backends` ({id: type}): multi-store mode; `default_backend` names the default
 *   store and each store's options sit under its id;
 * - without it: single-store mode, like Glance's [glance_store] section: `default_store` (a type,
 *   file by default) and that driver's options side by side, plus a read-only http store for
 *   http locations (Glance's default `stores = file,http`).
 * Either way the reserved file stores os_glance_staging_store and os_glance_tasks_store are added,
 * under the data dir unless their sections name a directory. The staging store may instead be
 * an S3 bucket (its section carries s3_store_* options), and GLINT_STAGING_DIR (`stagingDir`)
 * overrides its directory, so several processes can share one.
 */
export function buildStores(
  raw: Record<string, unknown> | undefined,
  dataDir: string,
  stagingDir?: string,
): { stores: Store[]; multiStore: boolean } {
  const section = asMapping(raw, 'stores');
  const stores: Store[] = [];
  const multiStore = 'enabled_backends' in section;
  if ('delayed_delete' in section && typeof section.delayed_delete !== 'boolean') {
    throw new ConfigError('GLINT_CONFIG: stores.delayed_delete must be true or false');
  }

  if (multiStore) {
    const backends = asMapping(section.enabled_backends, 'stores.enabled_backends');
    const ids = Object.keys(backends);
    if (!ids.length) throw new ConfigError('GLINT_CONFIG: stores.enabled_backends names no store');
    const defaultId = section.default_backend;
    if (typeof defaultId !== 'string' || !ids.includes(defaultId)) {
      throw new ConfigError(
        `GLINT_CONFIG: stores.default_backend must name one of the enabled_backends (${ids.join(', ')})`,
      );
    }
    for (const key of Object.keys(section)) {
      if (
        key === 'enabled_backends' ||
        key === 'default_backend' ||
        key === 'delayed_delete' ||
        key === STAGING_STORE ||
        key === TASKS_STORE
      )
        continue;
      if (!ids.includes(key))
        throw new ConfigError(`GLINT_CONFIG: stores.${key} is not a store named in enabled_backends`);
    }
    for (const [id, type] of Object.entries(backends)) {
      if (id.startsWith(RESERVED_PREFIX)) {
        throw new ConfigError(
          `GLINT_CONFIG: stores.enabled_backends.${id}: store ids starting with ${RESERVED_PREFIX} are reserved`,
        );
      }
      if (!isStoreType(type)) {
        throw new ConfigError(
          `GLINT_CONFIG: stores.enabled_backends.${id}: unknown store type ${JSON.stringify(type)} (known: ${Object.keys(DRIVERS).join(', ')})`,
        );
      }
      const options = parseOptions<StoreOptions>(STORE_OPTION_CLASSES[type], section[id], `stores.${id}`);
      if (type === 'file' && !(options as FileStoreOptions).filesystem_store_datadir) {
        throw new ConfigError(
          `GLINT_CONFIG: stores.${id}.filesystem_store_datadir is required for a file store`,
        );
      }
      stores.push(makeStore(id, type, options, dataDir, { isDefault: id === defaultId }));
    }
  } else {
    const type = section.default_store ?? 'file';
    if (!isStoreType(type) || type === 'http') {
      throw new ConfigError(
        `GLINT_CONFIG: stores.default_store: unknown or read-only store type ${JSON.stringify(type)}`,
      );
    }
    const flat = Object.fromEntries(
      Object.entries(section).filter(
        ([k]) => k !== 'default_store' && k !== 'delayed_delete' && k !== STAGING_STORE && k !== TASKS_STORE,
      ),
    );
    const options = parseOptions<StoreOptions>(STORE_OPTION_CLASSES[type], flat, 'stores');
    stores.push(makeStore(SINGLE_STORE_ID, type, options, dataDir, { isDefault: true }));
    stores.push(makeStore('http', 'http', new HttpStoreOptions(), dataDir, { isDefault: false }));
  }

  for (const [id, dir] of [
    [STAGING_STORE, 'staging'],
    [TASKS_STORE, 'tasks'],
  ] as const) {
    const raw = section[id];
    if (id === STAGING_STORE && typeof raw === 'object' && raw !== null && 's3_store_host' in raw) {
      // Staging on S3: every process of a deployment sees what any of them staged.
      const options = parseOptions(S3StoreOptions, raw, `stores.${id}`);
      stores.push(makeStore(id, 's3', options, dataDir, { isDefault: false, reserved: true }));
      continue;
    }
    const own = parseOptions(ReservedStoreOptions, raw, `stores.${id}`);
    const shared = id === STAGING_STORE ? stagingDir : undefined;
    const options = Object.assign(new FileStoreOptions(), {
      filesystem_store_datadir: shared ?? own.filesystem_store_datadir ?? resolve(dataDir, dir),
    });
    stores.push(makeStore(id, 'file', options, dataDir, { isDefault: false, reserved: true }));
  }
  return { stores, multiStore };
}

/**
 * The configured stores, built once at start (a bad store setting stops the start), and the one
 * way the rest of Glint reaches image data: endpoints pick a store here, and data always goes
 * through the driver of the store a location belongs to.
 */
@Injectable()
export class StoreRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Stores');
  private readonly byId = new Map<string, Store>();
  /** Glance's multi-store mode (enabled_backends configured). */
  readonly multiStore: boolean;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'dataDir' | 'glance'> & { stagingDir?: string }) {
    const { stores, multiStore } = buildStores(config.glance.stores, config.dataDir, config.stagingDir);
    this.multiStore = multiStore;
    for (const store of stores) this.byId.set(store.id, store);
  }

  async onModuleInit(): Promise<void> {
    // A crash mid-write leaves a hidden temp file. Other processes may share the directory and be
    // writing theirs right now; a live write touches its file all the time, a dead one does not.
    for (const store of this.byId.values()) {
      if (store.driver instanceof FileStoreDriver) {
        const removed = await store.driver.sweepTemporaryFiles({ idleMs: STALE_TEMP_MS });
        if (removed) this.logger.warn(`removed ${removed} unfinished upload(s) from store ${store.id}`);
      }
    }
  }

  /** Removes what a dead writer of this image left half written in the file stores. */
  async sweepUnfinished(imageId: string): Promise<void> {
    for (const store of this.byId.values())
      if (store.driver instanceof FileStoreDriver) await store.driver.sweepTemporaryFiles({ imageId });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.byId.values()].map((s) => s.driver.close?.() ?? Promise.resolve()));
  }

  /** The operator's stores (no os_glance_* store), highest weight first. */
  list(): Store[] {
    return [...this.byId.values()]
      .filter((s) => !s.reserved && (this.multiStore || s.isDefault))
      .sort(byWeight);
  }

  get(id: string): Store | undefined {
    return this.byId.get(id);
  }

  get defaultStore(): Store {
    return [...this.byId.values()].find((s) => s.isDefault)!;
  }

  get staging(): Store {
    return this.byId.get(STAGING_STORE)!;
  }

  get tasks(): Store {
    return this.byId.get(TASKS_STORE)!;
  }

  /**
   * The store an upload or import writes to: `requested` is the X-Image-Meta-Store header (or an
   * import's store list entry). Without multi-store the header is ignored, as Glance does.
   */
  storeForWrite(requested?: string): Store {
    if (!this.multiStore || requested === undefined || requested === '') return this.defaultStore;
    const store = this.byId.get(requested);
    if (!store || store.reserved) throw new InvalidError(`Store for identifier ${requested} not found`);
    if (store.readOnly) throw new ForbiddenError(`Store ${requested} is read only`);
    return store;
  }

  /**
   * A store named in a request path (DELETE /v2/stores/{store}/{image}): 409 when this node does
   * not have it, as Glance answers.
   */
  availableStore(id: string): Store {
    const store = this.byId.get(id);
    if (!store || store.reserved)
      throw new ConflictError(`The selected store ${id} is not available on this node.`);
    return store;
  }

  /**
   * The store that holds a location: by its `store` metadata when it has one (multi-store), else
   * by URL scheme (and, for file locations, the directory).
   */
  storeOf(location: ImageLocation | string): Store {
    const { url, metadata } = typeof location === 'string' ? { url: location, metadata: {} } : location;
    const named = typeof metadata.store === 'string' ? this.byId.get(metadata.store) : undefined;
    if (named) return named;
    const scheme = url.slice(0, Math.max(url.indexOf(':'), 0)).toLowerCase();
    const candidates = [...this.byId.values()]
      .filter((s) => s.driver.schemes.includes(scheme))
      .sort(byWeight);
    const owners = candidates.filter((s) => s.driver.owns(url));
    const pick = owners.length ? owners : candidates;
    const match = pick.find((s) => s.isDefault) ?? pick.find((s) => !s.reserved) ?? pick[0];
    if (!match) throw new NotFoundError(`No store handles locations of scheme ${scheme || '(none)'}`);
    return match;
  }

  /**
   * Locations in the order downloads try them: `prefer` (the 2.18 ?prefer= list) first, then by
   * store weight, highest first (multi-store); otherwise in their stored order.
   */
  readOrder(locations: ImageLocation[], prefer: string[] = []): ImageLocation[] {
    if (!this.multiStore) return [...locations];
    const storeId = (l: ImageLocation) => (typeof l.metadata.store === 'string' ? l.metadata.store : '');
    const rank = (l: ImageLocation) => {
      const p = prefer.indexOf(storeId(l));
      return p === -1 ? prefer.length : p;
    };
    const weight = (l: ImageLocation) => this.byId.get(storeId(l))?.weight ?? 0;
    return locations
      .map((l, i) => ({ l, i }))
      .sort((a, b) => rank(a.l) - rank(b.l) || weight(b.l) - weight(a.l) || a.i - b.i)
      .map(({ l }) => l);
  }

  /** Writes to a store; read-only stores refuse. The result's metadata names the store. */
  async write(
    store: Store,
    imageId: string,
    data: Readable,
    options?: StoreWriteOptions,
  ): Promise<StoreWriteResult> {
    if (store.readOnly) throw new ForbiddenError(`Store ${store.id} is read only`);
    const result = await store.driver.add(imageId, data, options);
    return {
      ...result,
      metadata: { ...result.metadata, ...(this.multiStore || store.reserved ? { store: store.id } : {}) },
    };
  }

  /** The store as a write target for the image-data pipeline. */
  target(store: Store): StoreTarget {
    return {
      write: (imageId, data, options) => this.write(store, imageId, data, options),
      delete: (location) => store.driver.delete(location),
    };
  }

  /**
   * Upload, stage and import all end here: streams `source` into `store`, hashing, counting and
   * inspecting it, and leaves nothing behind on failure (see storeImageData).
   */
  storeImageData(source: Readable, store: Store, options: StoreImageDataOptions): Promise<StoredImageData> {
    if (store.readOnly) return Promise.reject(new ForbiddenError(`Store ${store.id} is read only`));
    return storeImageData(source, this.target(store), options);
  }

  read(location: ImageLocation | string, range?: ByteRange): Promise<StoreReadResult> {
    return this.storeOf(location).driver.get(typeof location === 'string' ? location : location.url, range);
  }

  size(location: ImageLocation | string): Promise<number> {
    return this.storeOf(location).driver.getSize(typeof location === 'string' ? location : location.url);
  }

  /** Removes the data; a missing object is NotFoundError (callers deleting an image may ignore it). */
  delete(location: ImageLocation | string): Promise<void> {
    const store = this.storeOf(location);
    if (store.readOnly) return Promise.resolve(); // Glance leaves data it did not write alone.
    return store.driver.delete(typeof location === 'string' ? location : location.url);
  }

  /** GET /v2/info/stores: 404 without multi-store, as Glance. */
  info(detail: boolean): StoreInfo[] {
    if (!this.multiStore) throw new NotFoundError('Multi backend is not supported at this site.');
    return [...this.byId.values()]
      .filter((s) => !s.reserved)
      .map((s) => {
        const info: StoreInfo = { id: s.id };
        if (s.description) info.description = s.description;
        if (s.isDefault) info.default = 'true';
        if (s.readOnly) info['read-only'] = 'true';
        if (detail) {
          info.type = s.type;
          info.weight = s.weight;
          info.properties = s.driver.detailProperties();
        }
        return info;
      });
  }
}

function byWeight(a: Store, b: Store): number {
  return b.weight - a.weight;
}

/** Re-exported so callers need one import for the option classes they document. */
export { FileStoreOptions, HttpStoreOptions, S3StoreOptions };
