import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import { ConflictError, InvalidError } from '../common/errors/domain-errors.js';
import { ImagesService } from '../images/images.service.js';
import type { ImageRecord } from '../images/image-record.js';
import { ImageLocationsRepository } from '../image-data/image-locations.repository.js';
import { StoreRegistry } from '../stores/store-registry.js';
import { TasksService } from '../tasks/tasks.service.js';
import { passesImportFilter } from '../tasks/import-uri-filter.js';
import { pyRepr, pyStr } from '../common/python-repr.js';
import { checkGlanceDownloadMethod, remoteCredentials } from './glance-download.js';

export const IMPORT_LOCK = 'os_glance_import_task';
export const IMPORTING_TO = 'os_glance_importing_to_stores';
export const FAILED_IMPORT = 'os_glance_failed_import';
export const IMPORT_TASK_TYPE = 'api_image_import';

/** What the task handler reads back from the task's input. */
export interface ImportInput {
  image_id: string;
  import_req: ImportRequest;
  backend: string[] | null;
}

export interface ImportRequest {
  method: { name: string; uri?: string; validation_data?: SourceValidation } & Record<string, unknown>;
  stores?: string[];
  all_stores?: boolean;
  all_stores_must_succeed?: boolean;
}

/**
 * web-download's optional source check (beyond Glance 25): what the downloaded bytes must hash to.
 * Shaped like the validation_data of a location.
 */
export interface SourceValidation {
  checksum?: string;
  os_hash_algo?: string;
  os_hash_value?: string;
}

const MINUTE = 60_000;
const HASH_BYTES: Record<string, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };
const VALIDATION_KEYS = ['checksum', 'os_hash_algo', 'os_hash_value'];

/** The hex value's byte count, or undefined when it is not hex. */
function hexBytes(value: string): number | undefined {
  return /^(?:[0-9a-fA-F]{2})*$/.test(value) ? value.length / 2 : undefined;
}

/**
 * Checks web-download's validation_data with the texts Glance uses for a location's
 * validation_data, answered as 400s because here they are a malformed request body.
 */
export function validateSourceValidation(data: unknown): SourceValidation {
  if (!isObject(data)) throw new InvalidError(`${pyRepr(data)} is not of type 'object'`);
  const extra = Object.keys(data).filter((k) => !VALIDATION_KEYS.includes(k));
  if (extra.length)
    throw new InvalidError(
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
    );
  for (const key of VALIDATION_KEYS)
    if (key in data && typeof data[key] !== 'string')
      throw new InvalidError(`${pyRepr(data[key])} is not of type 'string'`);
  const { checksum, os_hash_algo: algo, os_hash_value: value } = data as SourceValidation;
  if (algo !== undefined && value === undefined)
    throw new InvalidError("'os_hash_value' is a required property");
  if (value !== undefined && algo === undefined)
    throw new InvalidError("'os_hash_algo' is a required property");
  if (checksum === undefined && algo === undefined)
    throw new InvalidError("'os_hash_algo' is a required property");
  if (checksum !== undefined) {
    const bytes = hexBytes(checksum);
    if (bytes === undefined)
      throw new InvalidError(`checksum (${checksum}) is not a valid hexadecimal value`);
    if (bytes !== 16)
      throw new InvalidError(`checksum (${checksum}) is not the correct size for md5 (should be 16 bytes)`);
  }
  if (algo !== undefined && value !== undefined) {
    const want = HASH_BYTES[algo];
    if (want === undefined)
      throw new InvalidError(`${pyRepr(algo)} is not one of ['sha1', 'sha256', 'sha512', 'md5']`);
    const bytes = hexBytes(value);
    if (bytes === undefined)
      throw new InvalidError(`os_hash_value (${value}) is not a valid hexadecimal value`);
    if (bytes !== want)
      throw new InvalidError(
        `os_hash_value (${value}) is not the correct size for ${algo} (should be ${want} bytes)`,
      );
  }
  return data;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A comma-separated store list property as a list. */
export function storeList(image: ImageRecord, name: string): string[] {
  return (image.properties[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The import call: Glance's body checks, preconditions and their order, the per-image lock and
 * the api_image_import task that does the work (ImportTaskHandler).
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly images: ImagesService,
    private readonly stores: StoreRegistry,
    private readonly locations: ImageLocationsRepository,
    private readonly tasks: TasksService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private validateBody(body: unknown): ImportRequest {
    // Glance 500s on non-object bodies and methods; a 400 with its nearest message is kinder.
    if (!isObject(body) || !('method' in body) || body.method === null || body.method === undefined)
      throw new InvalidError("Import request requires a 'method' field.");
    const method = body.method;
    if (!isObject(method)) throw new InvalidError("Import request requires a 'method' field.");
    if (!('name' in method)) throw new InvalidError("Import request requires a 'name' field.");
    const name = method.name;
    if (typeof name !== 'string' || !this.config.glance.enabled_import_methods.includes(name)) {
      throw new InvalidError(`Unknown import method name '${pyStr(name)}'.`);
    }
    if (name === 'web-download' && 'validation_data' in method)
      validateSourceValidation(method.validation_data);
    for (const key of ['all_stores_must_succeed', 'all_stores']) {
      if (key in body && typeof body[key] !== 'boolean')
        throw new InvalidError(`'${key}' must be boolean value only`);
    }
    if (body.all_stores_must_succeed === false && !this.stores.multiStore) {
      throw new InvalidError("'all_stores_must_succeed' can only be set with enabled_backends");
    }
    return body as unknown as ImportRequest;
  }

  /** Glance's get_stores_from_request, plus the reserved/read-only filtering of all_stores. */
  private targetStores(req: ImportRequest, header: string | undefined): string[] {
    let ids: string[];
    if (req.all_stores) {
      if ('stores' in req || header !== undefined) {
        throw new InvalidError(
          "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
        );
      }
      ids = this.stores
        .list()
        .filter((s) => !s.reserved && !s.readOnly)
        .map((s) => s.id);
    } else if ('stores' in req) {
      if (header !== undefined)
        throw new InvalidError("Stores parameter and x-image-meta-store header can't be both specified");
      if (!Array.isArray(req.stores)) throw new InvalidError('stores must be a list');
      ids = req.stores.map((s) => String(s));
    } else {
      ids = [header ?? this.stores.defaultStore.id];
    }
    for (const id of ids) {
      const store = this.stores.get(id);
      if (!store || store.reserved) throw new ConflictError(`Store for identifier ${id} not found`);
    }
    return ids;
  }

  async start(
    ctx: RequestContext,
    id: string,
    body: unknown,
    storeHeader: string | undefined,
  ): Promise<void> {
    const req = this.validateBody(body);
    const method = req.method.name;
    const image = await this.images.getVisible(ctx, id);

    // Glance's order: the status and format checks, the policy, the lock, the stores, the URI.
    if (image.status === 'active' && method !== 'copy-image')
      throw new ConflictError('Image with status active cannot be target for import');
    if (image.status !== 'active' && method === 'copy-image')
      throw new ConflictError('Only images with status active can be targeted for copying');
    if (image.status !== 'queued' && (method === 'web-download' || method === 'glance-download'))
      throw new ConflictError(`Image needs to be in 'queued' state to use '${method}' method`);
    if (image.status !== 'uploading' && method === 'glance-direct')
      throw new ConflictError("Image needs to be staged before 'glance-direct' method can be used");
    if (!image.containerFormat) throw new ConflictError("'container_format' needs to be set before import");
    if (!image.diskFormat) throw new ConflictError("'disk_format' needs to be set before import");
    if (method === 'glance-download') checkGlanceDownloadMethod(req.method);
    this.images.authorize(ctx, image, method === 'copy-image' ? 'copy_image' : 'modify_image');
    await this.enforceLock(image);

    let backend: string[] | null = null;
    if (this.stores.multiStore) {
      backend = this.targetStores(req, storeHeader);
      if (method === 'copy-image') {
        const present = new Set((await this.locations.list(image.id)).map((l) => this.stores.storeOf(l).id));
        if (req.all_stores) {
          backend = backend.filter((s) => !present.has(s));
          if (!backend.length) return; // Already everywhere: Glance answers 202 and does nothing.
        } else {
          const there = backend.find((s) => present.has(s));
          if (there) throw new InvalidError(`Image is already present at store '${there}'`);
        }
      }
    }

    if (method === 'web-download') {
      const uri = typeof req.method.uri === 'string' ? req.method.uri : '';
      if (!(await passesImportFilter(uri, this.config.glance.import_filtering_opts)))
        throw new InvalidError(`URI for web-download does not pass filtering: ${pyStr(req.method.uri)}`);
    }

    const taskId = randomUUID();
    await this.takeLock(image, taskId);
    await this.tasks.createTask(ctx, {
      id: taskId,
      type: IMPORT_TASK_TYPE,
      imageId: image.id,
      input: { image_id: image.id, import_req: body as Record<string, unknown>, backend },
      ...(method === 'glance-download' ? { secrets: remoteCredentials(ctx, this.config.auth) } : {}),
    });
  }

  /**
   * The per-image import lock held by a live task is 409; a stale holder's task fails and its lock
   * and progress go, as Glance preempts it before it looks at the stores.
   */
  private async enforceLock(image: ImageRecord): Promise<void> {
    const holder = image.properties[IMPORT_LOCK];
    if (!holder) return;
    const task = await this.tasks.findTask(holder);
    if (task) {
      const age = Date.now() - task.updatedAt.getTime();
      const limit = (task.status === 'pending' ? 120 : 60) * MINUTE;
      if (age < limit) throw new ConflictError('Image has active task');
      await this.tasks.failTask(task.id, 'Expired lock preempted');
    }
    await this.images.setProperties(image.id, {}, [IMPORT_LOCK, IMPORTING_TO]);
  }

  /** Takes the lock; another request that took it since enforceLock makes this one 409. */
  private async takeLock(image: ImageRecord, taskId: string): Promise<void> {
    if (!(await this.images.tryTakeProperty(image.id, IMPORT_LOCK, taskId))) {
      throw new ConflictError(
        `New operation on image '${image.id}' is not permitted as prior operation is still in progress`,
      );
    }
  }
}
