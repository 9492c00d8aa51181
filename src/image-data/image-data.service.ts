import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { pipeline } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  RangeNotSatisfiableError,
  UnsupportedMediaTypeError,
  StorageFullError,
} from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import { ImagesService } from '../images/images.service.js';
import { imagePayload } from '../images/image-record.js';
import type { ImageRecord } from '../images/image-record.js';
import { StoreRegistry } from '../stores/store-registry.js';
import type { ImageLocation, Store } from '../stores/store-registry.js';
import {
  ClientDisconnectedError,
  UploadLimitError,
  imageDataOptions,
} from '../stores/image-data.pipeline.js';
import type { StoredImageData } from '../stores/image-data.pipeline.js';
import { ImageLocationsRepository } from './image-locations.repository.js';
import type { PendingLocation, StoredLocation } from './image-locations.repository.js';
import { parseStorageQuota } from './storage-quota.js';
import { ChecksumMismatchError, VerifyingStream } from './verifying-stream.js';

/** What an upload or stage request says about its body. */
export interface DataRequest {
  contentType: string | undefined;
  /** x-openstack-image-size, raw. */
  sizeHeader: string | undefined;
  contentLength: string | undefined;
  /** X-Image-Meta-Store. */
  store: string | undefined;
  body: Readable;
  /** Fires when the client goes away before the body ended. */
  signal: AbortSignal;
}

/** A resolved byte range of a download. */
export interface ResolvedRange {
  start: number;
  end: number;
}

export interface Download {
  /** The data as a stream; neither this nor writeTo: no data (204). */
  stream?: Readable;
  /** The data written straight into the response, for stores that can (see StoreReadResult). */
  writeTo?(sink: Writable, onSent: (bytes: number) => void): Promise<void>;
  size: number;
  checksum: string | null;
  range?: ResolvedRange;
  /** Called when the response finished or broke, with the bytes that went out. */
  done(bytesSent: number): void;
}

const OCTET_STREAM = 'application/octet-stream';

function checkOctetStream(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== OCTET_STREAM) {
    throw UnsupportedMediaTypeError.forContentType(contentType);
  }
}

function expectedSize(req: DataRequest): number | undefined {
  if (req.sizeHeader !== undefined) {
    if (!/^\d+$/.test(req.sizeHeader.trim()))
      throw new InvalidError('Invalid or missing image size in request headers.');
    return Number(req.sizeHeader);
  }
  if (req.contentLength !== undefined && /^\d+$/.test(req.contentLength)) return Number(req.contentLength);
  return undefined;
}

const RANGE_SPEC = /^bytes=(\d*)-(\d*)$/;
const LEGACY_CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Glance's single-range reading of `Range` (or the legacy request `Content-Range`), with WebOb's
 * parsing: a range that ends before it starts is malformed, `bytes=-0` is the whole image.
 */
export function resolveRange(
  rangeHeader: string | undefined,
  contentRange: string | undefined,
  size: number,
): ResolvedRange | undefined {
  const notSatisfiable = (text: string) => new RangeNotSatisfiableError(text, { detail: true });
  const invalidStart = (header: string) =>
    notSatisfiable(
      `Invalid start position in ${header} header. Start position MUST be in the inclusive range [0, ${size - 1}].`,
    );
  if (rangeHeader !== undefined) {
    if (rangeHeader.includes(',')) {
      throw new InvalidError(
        'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.',
      );
    }
    const m = RANGE_SPEC.exec(rangeHeader.trim());
    if (!m || (m[1] === '' && m[2] === '') || (m[1] !== '' && m[2] !== '' && Number(m[2]) < Number(m[1])))
      throw notSatisfiable('Invalid Range header.');
    if (m[1] === '') {
      const suffix = Number(m[2]);
      if (size === 0) throw invalidStart('Range');
      return { start: suffix === 0 ? 0 : Math.max(size - suffix, 0), end: size - 1 };
    }
    const start = Number(m[1]);
    if (start >= size) throw invalidStart('Range');
    return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
  }
  if (contentRange !== undefined) {
    const m = LEGACY_CONTENT_RANGE.exec(contentRange.trim());
    const start = Number(m?.[1]);
    const stop = Number(m?.[2]) + 1;
    const length = m?.[3] === '*' ? undefined : Number(m?.[3]);
    if (!m || !(start < stop) || (length !== undefined && stop > length))
      throw notSatisfiable('Invalid Content-Range header.');
    if (length === undefined && stop > size)
      throw notSatisfiable(
        `Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, ${size - 1}].`,
      );
    if (start >= size) throw invalidStart('Content-Range');
    return { start, end: Math.min(stop - 1, size - 1) };
  }
  return undefined;
}

/**
 * Image data: upload (PUT /file), download (GET /file), staging (PUT /stage), removal from one
 * store, and the removal of an image's data when the image is deleted. Records and their rules
 * belong to ImagesService; bytes go through the store registry's streaming pipeline.
 */
@Injectable()
export class ImageDataService implements OnModuleInit {
  private readonly logger = new Logger('ImageData');
  private readonly storageQuota: number | undefined;

  constructor(
    private readonly images: ImagesService,
    private readonly stores: StoreRegistry,
    private readonly locations: ImageLocationsRepository,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.storageQuota = parseStorageQuota(config.glance.user_storage_quota);
  }

  onModuleInit(): void {
    this.images.registerDeleteHook((image) => this.removeAllData(image));
  }

  /** Store ids shown in an image's `stores` field and the OpenStack-image-store-ids header. */
  storeIds(): string[] {
    return this.stores.multiStore ? this.stores.list().map((s) => s.id) : [];
  }

  // ---- upload --------------------------------------------------------------------------------

  async upload(ctx: RequestContext, id: string, req: DataRequest): Promise<void> {
    checkOctetStream(req.contentType);
    const size = expectedSize(req);
    const image = await this.images.getForAction(ctx, id, 'upload_image');
    if (image.status !== 'queued') {
      throw new ConflictError(`Image status transition from ${image.status} to saving is not allowed`);
    }
    const store = this.stores.storeForWrite(req.store);
    const saving = await this.images.transitionStatus(image.id, 'queued', 'saving');
    this.notifier.notify('image.prepare', this.importPayload(saving, store));

    let stored: StoredImageData;
    try {
      stored = await this.stores.storeImageData(req.body, store, {
        ...imageDataOptions(this.config.glance, {
          id: image.id,
          disk_format: image.diskFormat,
          container_format: image.containerFormat,
        }),
        expectedSize: size,
        storageQuotaRemaining: await this.quotaRemaining(image.owner),
        signal: req.signal,
      });
    } catch (err) {
      await this.failUpload(image, err);
      throw err;
    }

    try {
      await this.locations.add(image.id, { url: stored.location, metadata: stored.metadata });
      const uploaded: ImageRecord = {
        ...saving,
        size: stored.size,
        virtualSize: stored.virtualSize,
        checksum: stored.checksum,
        osHashAlgo: stored.osHashAlgo,
        osHashValue: stored.osHashValue,
      };
      this.notifier.notify('image.upload', this.importPayload(uploaded));
      this.notifier.notify('image.activate', imagePayload({ ...uploaded, status: 'active' }));
      await this.images.transitionStatus(image.id, 'saving', 'active', {
        size: stored.size,
        virtualSize: stored.virtualSize,
        checksum: stored.checksum,
        osHashAlgo: stored.osHashAlgo,
        osHashValue: stored.osHashValue,
      });
    } catch (err) {
      // The image went away (or changed status) while its data was written: keep nothing.
      const current = await this.discardWritten(image.id, stored);
      await this.failUpload(current, err);
      throw err;
    }
  }

  /** Puts a failed upload's image back to queued, as Glance v2 does (never `killed`). */
  private async failUpload(image: ImageRecord, err: unknown): Promise<void> {
    this.notifier.notify('image.upload', uploadFailureMessage(image.id, err), 'ERROR');
    await this.images.transitionStatus(image.id, 'saving', 'queued').catch((e: Error) => {
      if (!(e instanceof DomainError)) this.logger.error(`could not requeue image ${image.id}: ${e.message}`);
    });
  }

  /**
   * Data written for an image that could not take it (deleted or changed meanwhile) is removed
   * with its location row. Returns the image as it is now; 410 when it was deleted meanwhile.
   */
  private async discardWritten(imageId: string, stored: StoredImageData): Promise<ImageRecord> {
    await this.stores.delete({ url: stored.location, metadata: stored.metadata }).catch(() => undefined);
    await this.forgetLocation(imageId, stored.location);
    const current = await this.images.findById(imageId);
    if (!current) {
      throw new GoneError(
        `Image ${imageId} could not be found after upload. The image may have been deleted during the upload.`,
      );
    }
    return current;
  }

  private async forgetLocation(imageId: string, url: string): Promise<void> {
    for (const l of await this.locations.listAll(imageId))
      if (l.url === url) await this.locations.remove(l.id);
  }

  private async quotaRemaining(owner: string | null): Promise<number | undefined> {
    if (this.storageQuota === undefined) return undefined;
    return this.storageQuota - (await this.locations.projectUsage(owner));
  }

  /** Payload of image.prepare/image.upload: the image plus Glance's import bookkeeping. */
  private importPayload(image: ImageRecord, store?: Store): Record<string, unknown> {
    const list = (name: string) =>
      (image.properties[name] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    return {
      ...imagePayload(image),
      os_glance_importing_to_stores: list('os_glance_importing_to_stores'),
      os_glance_failed_import: list('os_glance_failed_import'),
      ...(store && this.stores.multiStore ? { backend: store.id } : {}),
    };
  }

  // ---- download ------------------------------------------------------------------------------

  async download(
    ctx: RequestContext,
    id: string,
    rangeHeader: string | undefined,
    contentRange: string | undefined,
  ): Promise<Download> {
    const image = await this.images.getVisible(ctx, id);
    this.images.authorize(ctx, image, 'download_image');
    if (image.status === 'deactivated' && !ctx.isAdmin) {
      throw new ForbiddenError('The requested image has been deactivated. Image data download is forbidden.');
    }
    const nothing: Download = { size: 0, checksum: null, done: () => undefined };
    if (image.status !== 'active' && image.status !== 'deactivated') return nothing;
    const locations = this.stores.readOrder(await this.locations.list(image.id));
    if (!locations.length || image.size === null) return nothing;
    const size = image.size;
    const range = resolveRange(rangeHeader, contentRange, size);

    let lastError: unknown;
    for (const location of locations) {
      try {
        const read = await this.stores.read(
          location,
          range ? { offset: range.start, length: range.end - range.start + 1 } : undefined,
        );
        const expected = range ? range.end - range.start + 1 : size;
        const check = range ? undefined : this.verification(image);
        const body: Pick<Download, 'stream' | 'writeTo'> = check
          ? { stream: this.verified(image, location, read.stream, check) }
          : read.writeTo
            ? { writeTo: (sink, onSent) => read.writeTo!(sink, onSent) }
            : { stream: read.stream };
        return {
          ...body,
          size,
          checksum: image.checksum,
          range,
          done: (bytesSent) => this.sent(ctx, image, bytesSent, expected),
        };
      } catch (err) {
        lastError = err;
        this.logger.warn(
          `location ${location.url} of image ${image.id} unreadable: ${(err as Error).message}`,
        );
      }
    }
    // Every copy is gone: Glance answers 204 when the backend object is missing.
    if (lastError instanceof NotFoundError) return nothing;
    throw lastError;
  }

  /**
   * With GLINT_VERIFY_ON_READ, a full download is hashed as it goes out (os_hash_algo when the
   * image has one, else its md5 checksum) and cut short on a mismatch. The mismatch is known only
   * after the data went out, so there is no falling back to another location then; a location
   * that cannot be opened at all is still skipped before the first byte, as always.
   */
  private verification(image: ImageRecord): { algorithm: string; expected: string } | undefined {
    if (!this.config.verifyOnRead) return undefined;
    if (image.osHashAlgo && image.osHashValue)
      return { algorithm: image.osHashAlgo, expected: image.osHashValue };
    if (image.checksum) return { algorithm: 'md5', expected: image.checksum };
    return undefined;
  }

  private verified(
    image: ImageRecord,
    location: ImageLocation,
    stream: Readable,
    { algorithm, expected }: { algorithm: string; expected: string },
  ): Readable {
    const verifier = new VerifyingStream(algorithm, expected);
    pipeline(stream, verifier, (err) => {
      if (err instanceof ChecksumMismatchError) {
        this.logger.error(
          `image ${image.id}: data at ${location.url} fails verification (${err.message}); download aborted`,
        );
      }
    });
    return verifier;
  }

  private sent(ctx: RequestContext, image: ImageRecord, bytesSent: number, expected: number): void {
    this.notifier.notify(
      'image.send',
      {
        bytes_sent: bytesSent,
        image_id: image.id,
        owner_id: image.owner,
        receiver_tenant_id: ctx.projectId,
        receiver_user_id: ctx.userId,
      },
      bytesSent === expected ? 'INFO' : 'ERROR',
    );
  }

  // ---- staging (glance-direct) ---------------------------------------------------------------

  async stage(ctx: RequestContext, id: string, req: DataRequest): Promise<void> {
    if (!this.config.glance.enabled_import_methods.includes('glance-direct')) {
      throw new NotFoundError("'glance-direct' method is not available at this site.");
    }
    checkOctetStream(req.contentType);
    const size = expectedSize(req);
    const image = await this.images.getForAction(ctx, id, 'modify_image');
    if (image.status !== 'queued') {
      throw new ConflictError(`Image status transition from ${image.status} to uploading is not allowed`);
    }
    await this.images.transitionStatus(image.id, 'queued', 'uploading');
    const staging = this.stores.staging;
    let stored: StoredImageData;
    try {
      stored = await this.stores.storeImageData(req.body, staging, {
        ...imageDataOptions(
          this.config.glance,
          { id: image.id, disk_format: null, container_format: null },
          false,
        ),
        expectedSize: size,
        signal: req.signal,
      });
    } catch (err) {
      await this.images.transitionStatus(image.id, 'uploading', 'queued').catch(() => undefined);
      throw err;
    }
    try {
      await this.locations.add(image.id, { url: stored.location, metadata: stored.metadata }, 'staged');
      await this.images.saveDataFields(image.id, 'uploading', { size: stored.size });
    } catch (err) {
      await this.discardWritten(image.id, stored);
      await this.images.transitionStatus(image.id, 'uploading', 'queued').catch(() => undefined);
      throw err;
    }
  }

  /** The staged data of an image (glance-direct import reads it). */
  stagedLocations(imageId: string): Promise<StoredLocation[]> {
    return this.locations.list(imageId, 'staged');
  }

  // ---- removal -------------------------------------------------------------------------------

  /** DELETE /v2/stores/{store}/{image}: every check in Glance's order. */
  async deleteFromStore(ctx: RequestContext, storeId: string, id: string): Promise<void> {
    if (!this.stores.multiStore) throw new NotFoundError('');
    const store = this.stores.availableStore(storeId);
    const notFound = `Failed to find image ${id}`;
    const image = await this.images.getVisible(ctx, id, notFound);
    this.images.authorize(ctx, image, 'get_image_location', notFound);
    this.images.authorize(ctx, image, 'delete_image_location', notFound);
    if (image.status !== 'active') {
      throw new ConflictError(
        "It's not allowed to remove image data from store if image status is not 'active'",
      );
    }
    const locations = await this.locations.list(image.id);
    if (locations.length === 1) {
      throw new ForbiddenError(
        'Cannot delete image data from the only store containing it. Consider deleting the image instead.',
      );
    }
    const inStore = locations.filter((l) => this.stores.storeOf(l).id === store.id);
    if (!inStore.length) throw new NotFoundError(`Image ${image.id} is not stored in store ${store.id}.`);
    for (const location of inStore) {
      await this.stores.delete(location).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      await this.locations.remove(location.id);
    }
    const saved = await this.images.findById(image.id);
    if (saved) this.images.notifyUpdated(saved);
  }

  /**
   * Before an image is marked deleted: its data goes from every store (or, with delayed_delete,
   * is kept as pending_delete for the scrubber, and the image becomes pending_delete too), and
   * staged data goes at once either way.
   */
  private async removeAllData(image: ImageRecord): Promise<void | 'pending_delete'> {
    let kept = false;
    for (const location of await this.locations.listAll(image.id)) {
      if (location.status === 'pending_delete') continue;
      if (location.status === 'active' && this.delayedDelete()) {
        await this.locations.setStatus(location.id, 'pending_delete');
        kept = true;
        continue;
      }
      await this.stores.delete(location).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      await this.locations.remove(location.id);
    }
    return kept ? 'pending_delete' : undefined;
  }

  /** delayed_delete, or its older spelling stores.delayed_delete. */
  delayedDelete(): boolean {
    const stores = this.config.glance.stores as { delayed_delete?: unknown } | undefined;
    return this.config.glance.delayed_delete || stores?.delayed_delete === true;
  }

  /**
   * One scrubber pass: removes the data delayed_delete kept for images deleted at least
   * scrub_time seconds ago, scrub_pool_size locations at a time. Data that another location still
   * points at stays (only the pending row goes). A location that fails stays pending for the next
   * pass. Returns how many locations were removed.
   */
  async scrub(batch = 100): Promise<number> {
    const { scrub_time: scrubTime, scrub_pool_size: pool } = this.config.glance;
    const deletedBefore = new Date(Date.now() - scrubTime * 1000);
    const images = new Set<string>();
    let removed = 0;
    let after = '0';
    for (;;) {
      const due = await this.locations.pendingDelete(batch, deletedBefore, after);
      if (!due.length) break;
      after = due[due.length - 1].id;
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const location = due[next++];
          try {
            await this.scrubLocation(location);
            images.add(location.imageId);
            removed++;
          } catch (err) {
            this.logger.warn(
              `scrubber: could not remove ${location.url} of image ${location.imageId}: ${(err as Error).message}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(pool, due.length) }, worker));
      if (due.length < batch) break;
    }
    for (const id of images) await this.images.scrubbed(id);
    return removed;
  }

  private async scrubLocation(location: PendingLocation): Promise<void> {
    if (!(await this.locations.referencedElsewhere(location.url, location.id))) {
      await this.stores.delete(location).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    await this.locations.remove(location.id);
  }
}

/**
 * The ERROR image.upload payload: Glance names a full store in its own words, anything else as
 * internal with the reason its store layer gave (for the size cap and the quota, without the
 * summary that the HTTP answer puts first).
 */
export function uploadFailureMessage(imageId: string, err: unknown): string {
  if (err instanceof StorageFullError) return err.message;
  // Glance's chunked read fails with a ValueError, which it reports as data it cannot save.
  if (err instanceof ClientDisconnectedError && err.missingBytes === undefined)
    return `Cannot save data for image ${imageId}: ${err.message}`;
  const reason =
    err instanceof UploadLimitError ? err.reason : err instanceof Error ? err.message : String(err);
  return `Failed to upload image data for image ${imageId} due to internal error: ${reason}`;
}
