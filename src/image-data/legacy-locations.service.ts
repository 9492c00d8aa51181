import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import {
  AttributeForbiddenError,
  ConflictError,
  InvalidError,
  OverLimitError,
} from '../common/errors/domain-errors.js';
import { pyRepr } from '../common/python-repr.js';
import { ImagesService } from '../images/images.service.js';
import type { ImageRecord } from '../images/image-record.js';
import type { PatchOp } from '../images/json-patch.js';
import type { LocationsDraft } from '../images/locations-draft.js';
import { StoreRegistry } from '../stores/store-registry.js';
import type { ImageLocation } from '../stores/store-registry.js';
import { nodeHashName } from '../stores/parallel-hasher.js';
import { passesImportFilter } from '../tasks/import-uri-filter.js';
import { ImageLocationsRepository } from './image-locations.repository.js';
import { parseStorageQuota } from './storage-quota.js';

/** A location as a PATCH gives it. */
interface LocationValue {
  url: string;
  metadata: Record<string, unknown>;
  validation_data?: Record<string, string>;
}

/** A working location: `id` for the ones the image already had. */
interface Entry extends ImageLocation {
  id?: string;
}

type ValidationFields = Partial<Record<'checksum' | 'os_hash_algo' | 'os_hash_value', string>>;

/** Schemes a client may never point an image at (Glance: local files and configured Swift). */
const RESTRICTED_SCHEMES = new Set(['file', 'filesystem', 'swift+config']);

function invalidLocation(): InvalidError {
  return new InvalidError('Invalid location');
}

function sameLocation(a: ImageLocation, b: ImageLocation): boolean {
  return a.url === b.url && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
}

/**
 * A PATCH position: a non-negative integer or `-` (the end). Adding may name any position up to
 * the end (Python's list.insert clamps beyond it); removing must name an existing one.
 */
export function position(token: string, count: number, adding: boolean): number | null {
  let pos = adding ? count : count - 1;
  if (/^\d+$/.test(token)) pos = Number(token);
  else if (token !== '-') return null;
  if (!adding && !(pos >= 0 && pos < count)) return null;
  return Math.min(pos, count);
}

/**
 * Glance's legacy location operations (PATCH add/replace/remove on `/locations`, with
 * show_multiple_locations on): the status rules, policies, position rules, quotas, validation
 * data and URL checks, and the data removal that follows a removed location.
 */
@Injectable()
export class LegacyLocationsService implements OnModuleInit {
  private readonly logger = new Logger('Locations');
  private readonly storageQuota: number | undefined;

  constructor(
    private readonly images: ImagesService,
    private readonly stores: StoreRegistry,
    private readonly locations: ImageLocationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.storageQuota = parseStorageQuota(config.glance.user_storage_quota);
  }

  onModuleInit(): void {
    this.images.registerLocationsDraft((image) => this.draft(image));
  }

  private async draft(image: ImageRecord): Promise<LocationsDraft> {
    const original: Entry[] = (await this.locations.list(image.id)).map((l) => ({
      id: l.id,
      url: l.url,
      metadata: l.metadata,
    }));
    const current = [...original];
    let changed = false;
    return {
      apply: async (ctx, working, op) => {
        if (op.op === 'add') await this.add(ctx, working, current, op);
        else if (op.op === 'replace') await this.replace(ctx, working, current, op.value as LocationValue[]);
        else this.remove(ctx, working, current, op);
        changed = true;
      },
      active: () => (changed ? current.map((l) => ({ url: l.url, metadata: l.metadata })) : undefined),
      afterSave: async () => {
        if (!changed) return;
        // Data goes only after the record no longer points at it.
        for (const gone of original.filter((o) => !current.some((c) => c.id === o.id))) {
          await this.stores.delete(gone).catch((err: Error) => {
            this.logger.warn(`could not delete ${gone.url} of image ${image.id}: ${err.message}`);
          });
        }
      },
    };
  }

  private async add(ctx: RequestContext, image: ImageRecord, current: Entry[], op: PatchOp): Promise<void> {
    this.images.authorize(ctx, image, 'set_image_location');
    if (image.status !== 'active' && image.status !== 'queued')
      throw new ConflictError(`It's not allowed to add locations if image status is ${image.status}.`);
    const value = op.value as LocationValue;
    const validation = this.validationData(image, [value]);
    const pos = position(op.path[1], current.length, true);
    if (pos === null) throw new InvalidError('Invalid position for adding a location.');

    await this.checkStorageQuota(image, [value], false);
    this.checkLocationQuota(current.length + 1);
    const entry = await this.checked(value);
    if (current.some((c) => sameLocation(c, entry)))
      throw new InvalidError(`The location ${entry.url} already exists`);
    current.splice(pos, 0, entry);
    await this.fillSize(image, [entry]);
    if (image.status === 'queued') this.activate(image, validation);
  }

  private async replace(
    ctx: RequestContext,
    image: ImageRecord,
    current: Entry[],
    value: LocationValue[],
  ): Promise<void> {
    this.images.authorize(ctx, image, 'set_image_location');
    if (image.status !== 'active' && image.status !== 'queued')
      throw new ConflictError(`It's not allowed to replace locations if image status is ${image.status}.`);
    const validation = this.validationData(image, value);
    this.checkLocationQuota(value.length);
    await this.checkStorageQuota(image, value, true);

    const urls = (list: ImageLocation[]) => list.map((l) => l.url).sort();
    const sameUrls = JSON.stringify(urls(value)) === JSON.stringify(urls(current));
    // Only the metadata of the present locations may change; new URLs need an image without any.
    if (current.length && !sameUrls) {
      const shown = current.map((c) => ({
        id: Number(c.id),
        url: c.url,
        metadata: c.metadata,
        status: 'active',
      }));
      throw new InvalidError(`Original locations is not empty: ${pyRepr(shown)}`);
    }
    let next: Entry[];
    if (sameUrls) {
      const unused = [...current];
      next = value.map((v) => {
        const i = unused.findIndex((c) => c.url === v.url);
        const [kept] = unused.splice(i, 1);
        return { id: kept.id, url: v.url, metadata: this.withStore(v.metadata, kept) };
      });
    } else {
      next = [];
      for (const v of value) {
        const entry = await this.checked(v);
        if (next.some((n) => sameLocation(n, entry)))
          throw new InvalidError(`The location ${entry.url} already exists`);
        next.push(entry);
      }
      await this.fillSize(image, next);
    }
    current.splice(0, current.length, ...next);
    if (image.status === 'queued') this.activate(image, validation);
  }

  private remove(ctx: RequestContext, image: ImageRecord, current: Entry[], op: PatchOp): void {
    this.images.authorize(ctx, image, 'delete_image_location');
    if (image.status !== 'active')
      throw new ConflictError(`It's not allowed to remove locations if image status is ${image.status}.`);
    if (current.length === 1) throw new AttributeForbiddenError('Cannot remove last location in the image.');
    const pos = position(op.path[1], current.length, false);
    if (pos === null) throw new InvalidError('Invalid position for removing a location.');
    current.splice(pos, 1);
  }

  /** A queued image gets its first data: the validation data's hashes, then status active. */
  private activate(image: ImageRecord, validation: ValidationFields): void {
    const missing = (['disk_format', 'container_format'] as const).filter((k) =>
      k === 'disk_format' ? !image.diskFormat : !image.containerFormat,
    );
    if (missing.length === 1)
      throw new InvalidError(`Property ${missing[0]} must be set prior to saving data.`);
    if (missing.length)
      throw new InvalidError(`Properties ${missing.join(', ')} must be set prior to saving data.`);
    if (validation.checksum !== undefined) image.checksum = validation.checksum;
    if (validation.os_hash_algo !== undefined) image.osHashAlgo = validation.os_hash_algo;
    if (validation.os_hash_value !== undefined) image.osHashValue = validation.os_hash_value;
    image.status = 'active';
  }

  /**
   * Glance's rules for validation_data on locations: equal values may repeat what the image has,
   * new ones are only for a queued image and must be well-formed for the configured algorithm.
   * Every refusal is a 409 there, malformed values included.
   */
  private validationData(image: ImageRecord, values: LocationValue[]): ValidationFields {
    const merged: ValidationFields = {};
    for (const v of values) {
      for (const [k, val] of Object.entries(v.validation_data ?? {})) {
        const key = k as keyof ValidationFields;
        if (merged[key] !== undefined && merged[key] !== val)
          throw new ConflictError(`Conflicting values for ${key}`);
        merged[key] = val;
      }
    }
    const current: ValidationFields = {
      checksum: image.checksum ?? undefined,
      os_hash_algo: image.osHashAlgo ?? undefined,
      os_hash_value: image.osHashValue ?? undefined,
    };
    const fresh: ValidationFields = {};
    for (const [k, val] of Object.entries(merged)) {
      const key = k as keyof ValidationFields;
      if (val === current[key]) continue;
      if (current[key]) throw new ConflictError(`${key} is already set with a different value`);
      fresh[key] = val;
    }
    const keys = Object.keys(fresh);
    if (!keys.length) return {};
    if (image.status !== 'queued')
      throw new ConflictError(
        `New value(s) for ${keys.join(', ')} may only be provided when image status is 'queued'`,
      );
    if (fresh.checksum !== undefined) {
      if (!isHex(fresh.checksum))
        throw new ConflictError(`checksum (${fresh.checksum}) is not a valid hexadecimal value`);
      if (fresh.checksum.length !== 32)
        throw new ConflictError(
          `checksum (${fresh.checksum}) is not the correct size for md5 (should be 16 bytes)`,
        );
    }
    const algo = fresh.os_hash_algo;
    const want = this.config.glance.hashing_algorithm;
    if (algo !== want) throw new ConflictError(`os_hash_algo must be ${want}, not ${algo ?? 'None'}`);
    const value = fresh.os_hash_value ?? '';
    if (!isHex(value)) throw new ConflictError(`os_hash_value (${value}) is not a valid hexadecimal value`);
    const size = createHash(nodeHashName(algo)).digest().length;
    if (value.length !== size * 2)
      throw new ConflictError(
        `os_hash_value (${value}) is not the correct size for ${algo} (should be ${size} bytes)`,
      );
    return fresh;
  }

  private checkLocationQuota(attempted: number): void {
    const maximum = this.config.glance.image_location_quota;
    if (maximum >= 0 && attempted > maximum)
      throw new OverLimitError(
        `The limit has been exceeded on the number of allowed image locations. Attempted: ${attempted}, Maximum: ${maximum}`,
      );
  }

  /**
   * The legacy user_storage_quota: every location counts the image's size once. A replace counts
   * the image's present locations out first (Glance passes the image id there).
   */
  private async checkStorageQuota(image: ImageRecord, values: LocationValue[], replacing: boolean) {
    if (this.storageQuota === undefined) return;
    let size = image.size;
    if (!size) {
      for (const v of values) {
        size = await this.sizeOf(v).catch(() => null);
        if (size) break;
      }
    }
    const required = size ? size * values.length : null;
    let used = await this.locations.projectUsage(image.owner);
    if (replacing) used -= (image.size ?? 0) * (await this.locations.list(image.id)).length;
    const remaining = this.storageQuota - used;
    if (required === null ? remaining <= 0 : required > remaining)
      throw new OverLimitError(
        `Denying attempt to upload image because it exceeds the quota: The size of the data ${required ?? 'None'} will exceed the limit. ${remaining} bytes remaining.`,
      );
  }

  /**
   * A location a client names must be served by a configured store (an http:// URL needs the
   * http store), never be a local file, pass the import filter when it is http(s), and hold data.
   */
  private async checked(value: LocationValue): Promise<Entry> {
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value.url)?.[1]?.toLowerCase();
    if (!scheme || RESTRICTED_SCHEMES.has(scheme)) throw invalidLocation();
    if (
      (scheme === 'http' || scheme === 'https') &&
      !(await passesImportFilter(value.url, this.config.glance.import_filtering_opts))
    )
      throw invalidLocation();
    const size = await this.sizeOf(value).catch(() => 0);
    if (!(size > 0)) throw invalidLocation();
    return { url: value.url, metadata: this.withStore(value.metadata, value) };
  }

  private async sizeOf(value: LocationValue): Promise<number> {
    const store = this.stores.storeOf(value.url);
    if (store.reserved) return 0;
    return this.stores.size(value.url);
  }

  /** In multi-store mode a location records its store, derived from the URL as Glance does. */
  private withStore(metadata: Record<string, unknown>, location: ImageLocation): Record<string, unknown> {
    if (!this.stores.multiStore) return { ...metadata };
    try {
      return { ...metadata, store: this.stores.storeOf(location.url).id };
    } catch {
      return { ...metadata };
    }
  }

  /** Glance takes a queued image's size from the first location's backend. */
  private async fillSize(image: ImageRecord, entries: Entry[]): Promise<void> {
    if (image.size) return;
    for (const e of entries) {
      const size = await this.stores.size(e.url).catch(() => 0);
      if (size) {
        image.size = size;
        return;
      }
    }
  }
}

function isHex(value: string): boolean {
  return /^(?:[0-9a-fA-F]{2})*$/.test(value);
}
