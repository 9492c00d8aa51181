import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import {
  AttributeForbiddenError,
  ConflictError,
  DuplicateError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  OverLimitError,
  PolicyDeniedError,
} from '../common/errors/domain-errors.js';
import { PolicyService } from '../policy/policy.service.js';
import type { PolicyTarget } from '../policy/rule-evaluator.js';
import { Notifier } from '../notifications/notifier.js';
import type { ImageStatus, ImageVisibility } from './image.entity.js';
import { imagePayload } from './image-record.js';
import type { ImageRecord } from './image-record.js';
import { ImageSchemaRegistry } from './image-schemas.js';
import { ImagesRepository } from './images.repository.js';
import type { ImageDataFields, LocationsChange, MembershipClause } from './images.repository.js';
import { isUuid } from './list-query.js';
import type { ListQuery } from './list-query.js';
import type { PatchOp } from './json-patch.js';
import type { LocationsDraft, LocationsDraftFactory } from './locations-draft.js';

/** Keys a client may never write: shown by the server only. */
const READ_ONLY_LINKS = ['direct_url', 'self', 'file', 'schema', 'stores'];
const READ_ONLY_BASE = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'os_hash_algo',
  'os_hash_value',
];
const READ_ONLY_PATCH = new Set([...READ_ONLY_BASE, ...READ_ONLY_LINKS, 'id']);
const RESERVED = new Set(['location', 'deleted', 'deleted_at']);
/** Attributes stored on the image row rather than as additional properties. */
const BASE_ATTRIBUTES = new Set([
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'min_disk',
  'min_ram',
  'container_format',
  'disk_format',
  'owner',
  'tags',
]);
const INT32_MAX = 2147483647;
const FOUR_BYTE = /[\u{10000}-\u{10FFFF}]/u;
/** Formats may change only while there is no data yet. */
const FORMAT_MUTABLE: ReadonlySet<ImageStatus> = new Set(['queued', 'importing']);

/** Glance's status machine (§3.3): where each status may go next. */
export const STATUS_TRANSITIONS: Record<ImageStatus, readonly ImageStatus[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'queued', 'killed', 'deleted'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'queued', 'deleted'],
  active: ['deactivated', 'pending_delete', 'deleted'],
  deactivated: ['active', 'deleted'],
  pending_delete: ['deleted', 'active'],
  killed: ['deleted'],
  deleted: [],
};

/** A status change the status machine does not allow (callers decide 400 or 409). */
export class InvalidTransitionError extends ConflictError {
  constructor(
    readonly from: ImageStatus,
    readonly to: ImageStatus,
  ) {
    super(`Image status transition from ${from} to ${to} is not allowed`);
  }
}

/** Leaving these for data-bearing states needs both formats set. */
const NEEDS_FORMATS_FROM: ReadonlySet<ImageStatus> = new Set(['queued', 'uploading']);
const DATA_STATES: ReadonlySet<ImageStatus> = new Set(['saving', 'active', 'importing']);

/** Runs before an image is marked deleted (the stores feature removes its data there). */
/**
 * Work done before an image is marked deleted. Resolving to `'pending_delete'` says the hook kept
 * the image's data for the scrubber (delayed_delete): the image is then recorded as Glance does,
 * deleted with status `pending_delete` until its data is gone.
 */
export type ImageDeleteHook = (image: ImageRecord, ctx: RequestContext) => Promise<void | 'pending_delete'>;

function isReserved(key: string): boolean {
  return RESERVED.has(key) || key.startsWith('os_glance');
}

/** Python's str.title(), which Glance uses to name a key in its 4-byte message. */
function pyTitle(text: string): string {
  return text
    .toLowerCase()
    .replace(/(^|[^a-z])([a-z])/g, (_, before: string, c: string) => before + c.toUpperCase());
}

function refuseFourByte(key: string, value: unknown): void {
  if (FOUR_BYTE.test(key)) throw new InvalidError("Property names can't contain 4 byte unicode.");
  if (typeof value === 'string' && FOUR_BYTE.test(value)) {
    throw new InvalidError(`${pyTitle(key)} can't contain 4 byte unicode characters.`);
  }
  if (Array.isArray(value) && value.some((v) => typeof v === 'string' && FOUR_BYTE.test(v))) {
    throw new InvalidError("Param values can't contain 4 byte unicode.");
  }
}

function checkInt32(key: string, value: unknown): void {
  if (typeof value !== 'number') return;
  if (value < 0)
    throw new InvalidError(`Invalid value '${value}' for parameter '${key}': Cannot be a negative value`);
  if (value > INT32_MAX) throw new InvalidError(`'${key}' value out of range, must not exceed ${INT32_MAX}.`);
}

function countProperties(properties: Record<string, string | null>): number {
  return Object.keys(properties).filter((k) => !k.startsWith('os_glance')).length;
}

/**
 * The image rules: what may be created, seen, changed and deleted, by whom and in which status.
 * Other features (members, data, import, stores, tasks) reach images through this service.
 */
@Injectable()
export class ImagesService {
  private readonly deleteHooks: ImageDeleteHook[] = [];
  private locationsDraft?: LocationsDraftFactory;

  constructor(
    private readonly repo: ImagesRepository,
    private readonly policy: PolicyService,
    private readonly notifier: Notifier,
    readonly schemas: ImageSchemaRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (config.glance.show_multiple_locations || config.glance.show_image_direct_url) repo.loadLocations();
  }

  // ---- extension points for other features -------------------------------------------------

  /** Members: the SQL that makes shared images visible to their member projects. */
  registerMembership(clause: MembershipClause): void {
    this.repo.useMembership(clause);
  }

  /** Stores/data: work to do before an image is marked deleted (remove data, staging files). */
  registerDeleteHook(hook: ImageDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /** Image data: the legacy PATCH /locations operations (used with show_multiple_locations). */
  registerLocationsDraft(factory: LocationsDraftFactory): void {
    this.locationsDraft = factory;
  }

  // ---- lookups and authorization -----------------------------------------------------------

  /** The policy target Glance builds for an image (ImageTarget): attributes, properties, owner. */
  policyTarget(ctx: RequestContext, image: ImageRecord): PolicyTarget {
    // Built for every listed row, so a plain literal first and the properties after it: Glance's
    // ImageTarget also answers attributes before additional properties.
    const target: PolicyTarget = {
      id: image.id,
      name: image.name,
      status: image.status,
      visibility: image.visibility,
      protected: image.protected,
      os_hidden: image.osHidden,
      owner: image.owner,
      project_id: image.owner,
      min_disk: image.minDisk,
      min_ram: image.minRam,
      container_format: image.containerFormat,
      disk_format: image.diskFormat,
      checksum: image.checksum,
      size: image.size,
      virtual_size: image.virtualSize,
      tags: image.tags,
    };
    if (
      image.visibility === 'shared' &&
      image.callerIsMember &&
      ctx.projectId !== null &&
      image.owner !== ctx.projectId
    ) {
      target.member_id = ctx.projectId;
    }
    for (const name in image.properties) {
      if (!(name in target)) target[name] = image.properties[name];
    }
    return target;
  }

  /** Glance's is_image_visible: admin, owner, public/community, or a member of a shared image. */
  isVisible(ctx: RequestContext, image: ImageRecord): boolean {
    if (ctx.isAdmin) return true;
    if (ctx.projectId !== null && image.owner === ctx.projectId) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    return image.visibility === 'shared' && image.callerIsMember === true;
  }

  /**
   * The image if the caller may see it (visible and allowed by `get_image`); anything else is
   * 404 with `notFound` as the message, so that hidden images do not reveal themselves.
   */
  async getVisible(
    ctx: RequestContext,
    id: string,
    notFound = `No image found with ID ${id}`,
  ): Promise<ImageRecord> {
    const image = isUuid(id)
      ? await this.repo.findById(id.toLowerCase(), ctx.isAdmin ? null : ctx.projectId)
      : null;
    if (
      !image ||
      !this.isVisible(ctx, image) ||
      !this.policy.check(ctx, 'get_image', this.policyTarget(ctx, image))
    ) {
      throw new NotFoundError(notFound);
    }
    return image;
  }

  /**
   * Enforces `rule` on an image the caller can see: refused but readable is 403, refused and
   * unreadable is 404 (§5.3). In legacy policy mode Glance also checks ownership in code.
   */
  authorize(
    ctx: RequestContext,
    image: ImageRecord,
    rule: string,
    notFound = `No image found with ID ${image.id}`,
  ): void {
    const target = this.policyTarget(ctx, image);
    if (!this.policy.check(ctx, rule, target)) {
      if (this.policy.check(ctx, 'get_image', target)) throw new PolicyDeniedError(rule);
      throw new NotFoundError(notFound);
    }
    if (this.policy.ownershipCheckedInCode(rule) && !ctx.isAdmin && image.owner !== ctx.projectId) {
      throw new ForbiddenError('You do not own this image');
    }
  }

  /** getVisible + authorize: the usual start of every operation on an image. */
  async getForAction(ctx: RequestContext, id: string, rule: string, notFound?: string): Promise<ImageRecord> {
    const image = await this.getVisible(ctx, id, notFound);
    this.authorize(ctx, image, rule, notFound);
    return image;
  }

  /** The live image, whoever asks (internal use: background work, other features). */
  async findById(id: string): Promise<ImageRecord | null> {
    return isUuid(id) ? this.repo.findById(id.toLowerCase()) : null;
  }

  private async reload(id: string): Promise<ImageRecord> {
    const image = await this.repo.findById(id);
    if (!image) throw new NotFoundError(`No image found with ID ${id}`);
    return image;
  }

  // ---- notifications -----------------------------------------------------------------------

  /** Sends image.update for an image saved outside this service (upload, import, stores). */
  notifyUpdated(image: ImageRecord): void {
    this.notifier.notify('image.update', imagePayload(image));
  }

  // ---- internal saves for other features ---------------------------------------------------

  /**
   * Moves an image from `from` to `to` atomically (with the data columns that change with it),
   * sends image.update and returns the saved image. A concurrent change of status is a 409.
   */
  async transitionStatus(
    id: string,
    from: ImageStatus,
    to: ImageStatus,
    fields: ImageDataFields = {},
  ): Promise<ImageRecord> {
    if (!STATUS_TRANSITIONS[from].includes(to)) throw new InvalidTransitionError(from, to);
    if (NEEDS_FORMATS_FROM.has(from) && DATA_STATES.has(to)) {
      const image = await this.repo.findById(id);
      if (image && (!image.diskFormat || !image.containerFormat)) {
        throw new InvalidError('Properties disk_format, container_format must be set prior to saving data.');
      }
    }
    if (!(await this.repo.compareAndSetStatus(id, from, to, fields))) {
      const current = await this.repo.findById(id);
      if (!current) throw new NotFoundError(`No image found with ID ${id}`);
      throw new ConflictError(
        `cannot transition from ${current.status} to ${to} in update (wanted from_state=${from})`,
      );
    }
    const saved = await this.reload(id);
    this.notifyUpdated(saved);
    return saved;
  }

  /**
   * Saves data columns (size, hashes) of an image that must still be in `status`, then
   * image.update; a concurrent status change is a 409 as in transitionStatus.
   */
  async saveDataFields(id: string, status: ImageStatus, fields: ImageDataFields): Promise<ImageRecord> {
    if (!(await this.repo.compareAndSetStatus(id, status, status, fields))) {
      const current = await this.repo.findById(id);
      if (!current) throw new NotFoundError(`No image found with ID ${id}`);
      throw new ConflictError(
        `cannot transition from ${current.status} to ${status} in update (wanted from_state=${status})`,
      );
    }
    const saved = await this.reload(id);
    this.notifyUpdated(saved);
    return saved;
  }

  /** Sets/removes additional properties as the server (no reserved-name rules), then image.update. */
  async setProperties(
    id: string,
    set: Record<string, string | null>,
    remove: string[] = [],
    options: { expectedStatus?: ImageStatus; notify?: boolean } = {},
  ): Promise<ImageRecord> {
    if (!(await this.repo.setProperties(id, { set, remove }, options.expectedStatus))) {
      const current = await this.repo.findById(id);
      if (!current) throw new NotFoundError(`No image found with ID ${id}`);
      throw new ConflictError(
        `cannot transition from ${current.status} to ${options.expectedStatus} in update (wanted from_state=${options.expectedStatus})`,
      );
    }
    const saved = await this.reload(id);
    if (options.notify !== false) this.notifyUpdated(saved);
    return saved;
  }

  /** Takes a property only if nobody holds it (the import lock); true when it was taken. */
  tryTakeProperty(id: string, name: string, value: string): Promise<boolean> {
    return this.repo.insertPropertyIfAbsent(id, name, value);
  }

  // ---- API operations ----------------------------------------------------------------------

  async create(ctx: RequestContext, body: unknown): Promise<ImageRecord> {
    if (body === null || body === undefined || typeof body !== 'object') {
      throw new InvalidError('Body expected in request.');
    }
    if (Array.isArray(body)) {
      throw new InvalidError(`Provided object does not match schema 'image': [] is not of type 'object'`);
    }
    const schemaError = this.schemas.imageError(body);
    const input = body as Record<string, unknown>;
    for (const key of READ_ONLY_LINKS) {
      if (Object.hasOwn(input, key)) throw new ForbiddenError(`Attribute '${key}' is read-only.`);
    }
    if (schemaError) throw new InvalidError(schemaError);
    for (const key of READ_ONLY_BASE) {
      if (Object.hasOwn(input, key)) throw new ForbiddenError(`Attribute '${key}' is read-only.`);
    }
    if (Object.hasOwn(input, 'locations')) throw new ForbiddenError("Attribute 'locations' is reserved.");

    const properties: Record<string, string | null> = {};
    for (const [key, value] of Object.entries(input)) {
      if (BASE_ATTRIBUTES.has(key) || key === 'id') continue;
      if ([...key].length > 255)
        throw new InvalidError('Custom property should not be greater than 255 characters.');
      properties[key] = value as string | null;
    }
    for (const [key, value] of Object.entries(input)) refuseFourByte(key, value);
    checkInt32('min_disk', input.min_disk);
    checkInt32('min_ram', input.min_ram);

    let owner = (input.owner as string | null | undefined) ?? ctx.projectId;
    if (owner === '') owner = null;
    if (Object.hasOwn(input, 'owner') && !ctx.isAdmin && owner !== ctx.projectId) {
      throw new ForbiddenError(`You are not permitted to create images owned by '${String(input.owner)}'.`);
    }
    const visibility = (input.visibility as ImageVisibility | undefined) ?? 'shared';
    const target = { project_id: owner, owner, visibility };
    this.policy.enforce(ctx, 'add_image', target);
    for (const key of Object.keys(input)) {
      if (isReserved(key)) throw new AttributeForbiddenError(`Attribute '${key}' is reserved.`);
    }
    this.checkVisibilityPolicy(ctx, visibility, target);

    const tags = [...new Set((input.tags as string[] | undefined) ?? [])];
    this.checkPropertyQuota(countProperties(properties));
    this.checkTagQuota(tags.length);

    const now = new Date();
    const image: ImageRecord = {
      id: typeof input.id === 'string' ? input.id.toLowerCase() : randomUUID(),
      name: (input.name as string | null | undefined) ?? null,
      status: 'queued',
      visibility,
      protected: (input.protected as boolean | undefined) ?? false,
      osHidden: (input.os_hidden as boolean | undefined) ?? false,
      owner,
      minDisk: (input.min_disk as number | undefined) ?? 0,
      minRam: (input.min_ram as number | undefined) ?? 0,
      containerFormat: (input.container_format as string | null | undefined) ?? null,
      diskFormat: (input.disk_format as string | null | undefined) ?? null,
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      createdAt: now,
      updatedAt: now,
      deleted: false,
      deletedAt: null,
      properties,
      tags,
    };
    if (!(await this.repo.insert(image))) throw new DuplicateError(`Image ID ${image.id} already exists!`);
    this.notifier.notify('image.create', imagePayload(image));
    return this.present(ctx, { ...image, locations: [] });
  }

  async show(ctx: RequestContext, id: string): Promise<ImageRecord> {
    return this.present(ctx, await this.getVisible(ctx, id));
  }

  /**
   * The image as the API shows it to this caller: with `locations` (show_multiple_locations) and
   * `direct_url` (show_image_direct_url, the first location) when the operator turned them on.
   * As in Glance, a deactivated image's locations are hidden from non-admins.
   */
  private present(ctx: RequestContext, image: ImageRecord): ImageRecord {
    const { show_multiple_locations: showAll, show_image_direct_url: showDirect } = this.config.glance;
    if (!showAll && !showDirect) return image;
    const locations = image.status === 'deactivated' && !ctx.isAdmin ? [] : (image.locations ?? []);
    return {
      ...image,
      locations,
      showLocations: showAll,
      directUrl: showDirect && locations.length ? locations[0].url : undefined,
    };
  }

  /** One page of the list; `next` is the marker for the following page when this one is full. */
  async list(ctx: RequestContext, query: ListQuery): Promise<{ images: ImageRecord[]; next?: string }> {
    if (query.marker !== undefined) {
      try {
        const marker = await this.getVisible(ctx, query.marker);
        query.marker = marker.id;
      } catch (err) {
        if (err instanceof NotFoundError) throw new InvalidError(`No image found with ID ${query.marker}`);
        throw err;
      }
    }
    const rows = await this.repo.list({ projectId: ctx.projectId, isAdmin: ctx.isAdmin }, query);
    // As Glance, each row is re-checked with get_image; the page may come out shorter.
    const images = rows
      .filter((image) => this.policy.check(ctx, 'get_image', this.policyTarget(ctx, image)))
      .map((image) => this.present(ctx, image));
    const next = rows.length === query.limit && rows.length > 0 ? rows[rows.length - 1].id : undefined;
    return { images, next };
  }

  async update(ctx: RequestContext, id: string, ops: PatchOp[]): Promise<ImageRecord> {
    for (const op of ops) this.checkPatchPath(op);
    const image = await this.getVisible(ctx, id);
    if (!ops.length) return this.present(ctx, image);
    this.authorize(ctx, image, 'modify_image');

    const next: ImageRecord = { ...image, properties: { ...image.properties }, tags: [...image.tags] };
    let tagsChanged = false;
    let locations: LocationsDraft | undefined;
    for (const op of ops) {
      const key = op.path[0];
      if (key === 'locations') {
        if (!this.locationsDraft) throw new ForbiddenError('Locations are not available at this site.');
        locations ??= await this.locationsDraft(image);
        await locations.apply(ctx, next, op);
        continue;
      }
      if (op.op !== 'remove') {
        const error = this.schemas.imageError({ [key]: op.value });
        if (error) throw new InvalidError(error);
        refuseFourByte(key, op.value);
        if ([...key].length > 255)
          throw new InvalidError('Custom property should not be greater than 255 characters.');
      }
      if (key === 'owner' && !ctx.isAdmin) throw new ForbiddenError("Owner can't be updated by non admin.");
      const isBase = BASE_ATTRIBUTES.has(key);
      const present = isBase || Object.hasOwn(next.properties, key);
      if (op.op === 'add' && op.draft4 && present) {
        throw new ConflictError(`Property ${key} already present.`, { detail: true });
      }
      if (op.op !== 'add' && !present)
        throw new ConflictError(`Property ${key} does not exist.`, { detail: true });
      if (op.op === 'remove') {
        if (isBase) throw new ForbiddenError(`Property ${key} may not be removed.`, { detail: true });
        delete next.properties[key];
        continue;
      }
      if (!isBase) {
        next.properties[key] = op.value as string | null;
        continue;
      }
      if (key === 'tags') tagsChanged = true;
      this.applyAttribute(ctx, next, key, op.value);
    }

    const added = Object.keys(next.properties).filter((k) => !Object.hasOwn(image.properties, k));
    if (added.length) this.checkPropertyQuota(countProperties(next.properties));
    if (tagsChanged) this.checkTagQuota(next.tags.length);

    const set: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(next.properties)) if (image.properties[k] !== v) set[k] = v;
    const remove = Object.keys(image.properties).filter((k) => !Object.hasOwn(next.properties, k));
    next.updatedAt = new Date();
    const activeLocations = locations?.active();
    const locationsChange: LocationsChange | undefined = activeLocations && {
      active: activeLocations,
      status:
        next.status !== image.status
          ? {
              from: image.status,
              to: next.status,
              fields: {
                size: next.size,
                checksum: next.checksum,
                osHashAlgo: next.osHashAlgo,
                osHashValue: next.osHashValue,
              },
            }
          : undefined,
    };
    const saved = await this.repo.saveChanges(
      image.id,
      next,
      next.updatedAt,
      { set, remove },
      tagsChanged ? next.tags : null,
      locationsChange,
    );
    if (!saved) {
      // Nothing was written: the image is gone, or an upload or import moved its status on.
      const now = locationsChange?.status ? await this.repo.findById(image.id) : null;
      if (now)
        throw new ConflictError(
          `Image status transition from ${image.status} to ${next.status} is not allowed`,
        );
      throw new NotFoundError(`No image found with ID ${image.id}`);
    }
    await locations?.afterSave();
    const result = await this.reload(image.id);
    this.notifyUpdated(result);
    return this.present(ctx, result);
  }

  /** Read-only, reserved and depth rules of a PATCH path: checked before the image is loaded. */
  private checkPatchPath(op: PatchOp): void {
    const key = op.path[0];
    if (READ_ONLY_PATCH.has(key)) throw new ForbiddenError(`Attribute '${key}' is read-only.`);
    if (isReserved(key)) throw new ForbiddenError(`Attribute '${key}' is reserved.`);
    if (key === 'locations') {
      // add and remove name a position (/locations/N), replace the whole list.
      if (op.path.length !== (op.op === 'replace' ? 1 : 2))
        throw new InvalidError(`Invalid JSON pointer for this resource: '/${op.path.join('/')}'`);
      if (op.op !== 'remove') {
        const error = this.schemas.imageError({ locations: op.op === 'add' ? [op.value] : op.value });
        if (error) throw new InvalidError(error);
      }
      if (op.op === 'replace' && Array.isArray(op.value) && op.value.length === 0) {
        throw new AttributeForbiddenError('Cannot set locations to empty list.');
      }
      if (!this.config.glance.show_multiple_locations) {
        throw new ForbiddenError(
          `It's not allowed to ${op.op === 'remove' ? 'remove' : op.op === 'add' ? 'add' : 'update'} locations if locations are invisible.`,
        );
      }
      return;
    }
    if (op.path.length !== 1) {
      const pointer = '/' + op.path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
      throw new InvalidError(`Invalid JSON pointer for this resource: '${pointer}'`);
    }
  }

  private applyAttribute(ctx: RequestContext, image: ImageRecord, key: string, value: unknown): void {
    switch (key) {
      case 'name':
        image.name = value as string | null;
        break;
      case 'visibility': {
        const visibility = value as ImageVisibility;
        this.checkVisibilityPolicy(ctx, visibility, this.policyTarget(ctx, image));
        image.visibility = visibility;
        break;
      }
      case 'protected':
        image.protected = value as boolean;
        break;
      case 'os_hidden':
        image.osHidden = value as boolean;
        break;
      case 'min_disk':
      case 'min_ram':
        checkInt32(key, value);
        if (key === 'min_disk') image.minDisk = value as number;
        else image.minRam = value as number;
        break;
      case 'container_format':
      case 'disk_format':
        if (!FORMAT_MUTABLE.has(image.status)) {
          throw new ForbiddenError(`Attribute ${key} can be only replaced for a queued image.`);
        }
        if (key === 'disk_format') image.diskFormat = value as string | null;
        else image.containerFormat = value as string | null;
        break;
      case 'owner':
        image.owner = value === '' ? null : (value as string | null);
        break;
      case 'tags':
        image.tags = [...new Set(value as string[])];
        break;
    }
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const notFound = `Failed to find image ${id} to delete`;
    const image = await this.getForAction(ctx, id, 'delete_image', notFound);
    if (image.protected) throw new ForbiddenError(`Image ${image.id} is protected and cannot be deleted.`);
    let status: 'deleted' | 'pending_delete' = 'deleted';
    for (const hook of this.deleteHooks)
      if ((await hook(image, ctx)) === 'pending_delete') status = 'pending_delete';
    const at = new Date();
    if (!(await this.repo.markDeleted(image.id, at, status))) throw new NotFoundError(notFound);
    this.notifier.notify(
      'image.delete',
      imagePayload({ ...image, status, deleted: true, deletedAt: at, updatedAt: at }),
    );
  }

  /** The scrubber removed the last kept copy of a deleted image's data: pending_delete → deleted. */
  async scrubbed(id: string): Promise<void> {
    await this.repo.markScrubbed(id);
  }

  async addTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const error = this.schemas.imageError({ tags: [tag] });
    if (error) throw new InvalidError(error);
    if (FOUR_BYTE.test(tag)) throw new InvalidError("Param values can't contain 4 byte unicode.");
    const image = await this.getForAction(ctx, id, 'modify_image', `Image ${id} not found.`);
    const quota = this.config.glance.image_tag_quota;
    if (!image.tags.includes(tag) && quota >= 0 && image.tags.length + 1 > quota) {
      throw new OverLimitError(
        `Image tag limit exceeded for image ${image.id}: The limit has been exceeded on the number of allowed image tags. Attempted: ${image.tags.length + 1}, Maximum: ${quota}`,
      );
    }
    if (!(await this.repo.addTag(image.id, tag))) throw new NotFoundError(`Image ${id} not found.`);
    this.notifyUpdated(await this.reload(image.id));
  }

  async removeTag(ctx: RequestContext, id: string, tag: string): Promise<void> {
    const image = await this.getForAction(ctx, id, 'modify_image', `Image ${id} not found.`);
    if (!image.tags.includes(tag)) throw new NotFoundError('');
    if (!(await this.repo.removeTag(image.id, tag))) throw new NotFoundError('');
    this.notifyUpdated(await this.reload(image.id));
  }

  async deactivate(ctx: RequestContext, id: string): Promise<void> {
    await this.toggleActive(ctx, id, 'deactivate', 'active', 'deactivated');
  }

  async reactivate(ctx: RequestContext, id: string): Promise<void> {
    await this.toggleActive(ctx, id, 'reactivate', 'deactivated', 'active');
  }

  private async toggleActive(
    ctx: RequestContext,
    id: string,
    rule: 'deactivate' | 'reactivate',
    from: ImageStatus,
    to: ImageStatus,
  ): Promise<void> {
    const image = await this.getForAction(ctx, id, rule);
    if (image.status === to) {
      // Already there: Glance still saves (and announces) the image.
      await this.repo.touch(image.id);
      this.notifyUpdated(await this.reload(image.id));
      return;
    }
    if (image.status !== from)
      throw new ForbiddenError(`Not allowed to ${rule} image in status '${image.status}'`);
    await this.transitionStatus(image.id, from, to);
  }

  // ---- shared rules ------------------------------------------------------------------------

  private checkVisibilityPolicy(
    ctx: RequestContext,
    visibility: ImageVisibility,
    target: PolicyTarget,
  ): void {
    if (visibility === 'public') this.policy.enforce(ctx, 'publicize_image', target);
    if (visibility === 'community') this.policy.enforce(ctx, 'communitize_image', target);
  }

  private checkPropertyQuota(count: number): void {
    const max = this.config.glance.image_property_quota;
    if (max >= 0 && count > max) {
      throw new OverLimitError(
        `The limit has been exceeded on the number of allowed image properties. Attempted: ${count}, Maximum: ${max}`,
      );
    }
  }

  private checkTagQuota(count: number): void {
    const max = this.config.glance.image_tag_quota;
    if (max >= 0 && count > max) {
      throw new OverLimitError(
        `The limit has been exceeded on the number of allowed image tags. Attempted: ${count}, Maximum: ${max}`,
      );
    }
  }
}
