import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { fileURLToPath } from 'node:url';
import { Readable, Transform } from 'node:stream';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Notifier } from '../notifications/notifier.js';
import { ImagesService } from '../images/images.service.js';
import { imagePayload } from '../images/image-record.js';
import type { ImageRecord } from '../images/image-record.js';
import type { ImageStatus } from '../images/image.entity.js';
import { ImageLocationsRepository } from '../image-data/image-locations.repository.js';
import { uploadFailureMessage } from '../image-data/image-data.service.js';
import { parseStorageQuota } from '../image-data/storage-quota.js';

import { StoreRegistry } from '../stores/store-registry.js';
import type { ImageLocation, Store } from '../stores/store-registry.js';
import { HashMismatchError, imageDataOptions } from '../stores/image-data.pipeline.js';
import type { StoredImageData } from '../stores/image-data.pipeline.js';
import { TaskHandlerRegistry } from '../tasks/executor/task-handler.registry.js';
import { TaskFailedError } from '../tasks/executor/task-handler.js';
import type { TaskRunContext, TaskSnapshot } from '../tasks/executor/task-handler.js';
import { GlanceEndpointResolver } from './glance-download.js';
import type { GlanceDownloadMethod } from './glance-download.js';
import { Agent, fetch as fetchPinned } from 'undici';
import { filteredLookup, passesImportFilter } from '../tasks/import-uri-filter.js';
import { FAILED_IMPORT, IMPORT_LOCK, IMPORT_TASK_TYPE, IMPORTING_TO, storeList } from './import.service.js';
import type { ImportInput, SourceValidation } from './import.service.js';
import { ImportPlugins } from './plugins/import-plugins.js';
import type { PluginUndo } from './plugins/import-plugins.js';

const MiB = 1024 * 1024;
const MAX_REDIRECTS = 10;

/** Top-level keys of an image document that are not properties, whatever the prefixes say. */
const NOT_PROPERTIES = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'min_ram',
  'min_disk',
  'created_at',
  'updated_at',
  'tags',
  'direct_url',
  'locations',
  'self',
  'file',
  'schema',
  'disk_format',
  'container_format',
  'stores',
]);

interface RemoteImage {
  url: string;
  size: number;
  diskFormat: string | null;
  containerFormat: string | null;
  properties: Record<string, string>;
}

/** What glance-download changed on the image, to put back if the import fails. */
function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs api_image_import tasks: gets the data (staged, downloaded into staging, or an existing
 * copy), writes it to each target store through the streaming pipeline, and either activates the
 * image or puts everything back as it was.
 */
@Injectable()
export class ImportTaskHandler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Import');
  private readonly storageQuota: number | undefined;
  private readonly endpoints: GlanceEndpointResolver;

  /** Connections of web-downloads, which reach only addresses the import filter allows. */
  private readonly webDownloads: Agent;

  constructor(
    private readonly registry: TaskHandlerRegistry,
    private readonly images: ImagesService,
    private readonly stores: StoreRegistry,
    private readonly locations: ImageLocationsRepository,
    private readonly notifier: Notifier,
    private readonly plugins: ImportPlugins,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.storageQuota = parseStorageQuota(config.glance.user_storage_quota);
    this.endpoints = new GlanceEndpointResolver(config);
    this.webDownloads = new Agent({
      connect: { lookup: filteredLookup(config.glance.import_filtering_opts) },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.webDownloads.close();
  }

  onModuleInit(): void {
    // A handler registered before start (a test harness's stand-in) takes precedence.
    if (!this.registry.get(IMPORT_TASK_TYPE))
      this.registry.register(IMPORT_TASK_TYPE, {
        run: (ctx) => this.run(ctx),
        recover: (task) => this.recover(task),
      });
  }

  private payload(image: ImageRecord, store?: Store): Record<string, unknown> {
    return {
      ...imagePayload(image),
      os_glance_importing_to_stores: storeList(image, IMPORTING_TO),
      os_glance_failed_import: storeList(image, FAILED_IMPORT),
      ...(store && this.stores.multiStore ? { backend: store.id } : {}),
    };
  }

  private async current(id: string): Promise<ImageRecord> {
    const image = await this.images.findById(id);
    if (!image) throw new TaskFailedError(`Image ${id} could not be found`);
    return image;
  }

  /** Adds/removes store ids in the two bookkeeping lists. */
  private async bookkeep(
    id: string,
    change: { importing?: [string[], string[]]; failed?: [string[], string[]] },
  ): Promise<ImageRecord> {
    const image = await this.current(id);
    const set: Record<string, string> = {};
    const edit = (name: string, [add, drop]: [string[], string[]]) => {
      const list = storeList(image, name).filter((s) => !drop.includes(s));
      for (const s of add) if (!list.includes(s)) list.push(s);
      set[name] = list.join(',');
    };
    if (change.importing) edit(IMPORTING_TO, change.importing);
    if (change.failed) edit(FAILED_IMPORT, change.failed);
    return this.images.setProperties(id, set);
  }

  async run(ctx: TaskRunContext): Promise<Record<string, unknown>> {
    const input = ctx.task.input as unknown as ImportInput;
    const imageId = input.image_id;
    const req = input.import_req;
    const method = req.method.name;
    const copy = method === 'copy-image';
    const mustSucceed = req.all_stores_must_succeed !== false;
    const targets = (input.backend ?? [this.stores.defaultStore.id]).map((id) => this.stores.get(id)!);
    const targetIds = targets.map((s) => s.id);

    let image = await this.current(imageId);
    let status: ImageStatus = image.status;
    const written: StoredImageData[] = [];
    let downloaded: StoredImageData | undefined;
    const undo: PluginUndo = { properties: {} };
    try {
      if (!copy) {
        const from: ImageStatus = method === 'glance-direct' ? 'uploading' : 'queued';
        image = await this.images.transitionStatus(imageId, from, 'importing');
        status = 'importing';
      }
      image = await this.bookkeep(imageId, { importing: [targetIds, []], failed: [[], targetIds] });
      if (image.properties.os_glance_stage_host !== undefined)
        image = await this.images.setProperties(imageId, {}, ['os_glance_stage_host']);

      let source: ImageLocation;
      if (method === 'glance-direct') {
        const staged = await this.locations.list(imageId, 'staged');
        if (!staged.length) throw new TaskFailedError(`Image ${imageId} has no staged data`);
        source = staged[0];
      } else if (method === 'web-download') {
        downloaded = await this.download(ctx, image, req.method.uri ?? '', req.method.validation_data);
        source = { url: downloaded.location, metadata: downloaded.metadata };
      } else if (method === 'glance-download') {
        const m = req.method as unknown as GlanceDownloadMethod;
        const remote = await this.remoteMetadata(ctx, m);
        // Recorded before any plugin runs, so a revert goes back to the values from before the import.
        undo.diskFormat = image.diskFormat;
        undo.containerFormat = image.containerFormat;
        for (const key of Object.keys(remote.properties))
          undo.properties[key] = image.properties[key] ?? null;
        await this.images.saveDataFields(imageId, 'importing', {
          diskFormat: remote.diskFormat,
          containerFormat: remote.containerFormat,
        });
        image = await this.images.setProperties(imageId, remote.properties);
        downloaded = await this.remoteData(ctx, image, m, remote);
        source = { url: downloaded.location, metadata: downloaded.metadata };
      } else {
        const active = await this.locations.list(imageId);
        const ordered = this.stores.readOrder(active, [this.stores.defaultStore.id]);
        if (!ordered.length) throw new TaskFailedError(`Image ${imageId} has no data to copy`);
        source = ordered[0];
      }
      if (!copy && this.plugins.enabled.length) {
        image = await this.plugins.run(
          { image, path: this.stagedPath(source), roles: ctx.task.roles, signal: ctx.signal },
          undo,
        );
      }

      let succeeded = 0;
      const failures: string[] = [];
      for (const [i, store] of targets.entries()) {
        this.notifier.notify('image.prepare', this.payload(image, store));
        let stored: StoredImageData;
        try {
          const read = await this.stores.read(source);
          stored = await this.stores.storeImageData(this.metered(ctx, read.stream, image.size), store, {
            ...imageDataOptions(this.config.glance, {
              id: imageId,
              disk_format: image.diskFormat,
              container_format: image.containerFormat,
              ...(copy ? { checksum: image.checksum, os_hash_value: image.osHashValue } : {}),
              os_hash_algo: copy ? image.osHashAlgo : null,
            }),
            storageQuotaRemaining: await this.quotaRemaining(image.owner),
            signal: ctx.signal,
          });
        } catch (err) {
          this.notifier.notify('image.upload', uploadFailureMessage(imageId, err), 'ERROR');
          image = await this.bookkeep(imageId, { importing: [[], [store.id]], failed: [[store.id], []] });
          if (mustSucceed) throw err;
          failures.push(message(err));
          continue;
        }
        written.push(stored);
        await this.locations.add(imageId, { url: stored.location, metadata: stored.metadata });
        succeeded++;
        const data = {
          size: stored.size,
          virtualSize: stored.virtualSize,
          checksum: stored.checksum,
          osHashAlgo: stored.osHashAlgo,
          osHashValue: stored.osHashValue,
        };
        image = await this.bookkeep(imageId, { importing: [[], [store.id]] });
        this.notifier.notify('image.upload', this.payload({ ...image, ...data }));
        const activate = status === 'importing' && (mustSucceed ? i === targets.length - 1 : true);
        if (activate) {
          this.notifier.notify('image.activate', imagePayload({ ...image, ...data, status: 'active' }));
          image = await this.images.transitionStatus(imageId, 'importing', 'active', data);
          status = 'active';
        }
      }
      if (!succeeded) throw new TaskFailedError(failures.join('; ') || 'Import failed for every store');
      await this.dropStaging(imageId, downloaded);
      await this.releaseLock(imageId, ctx.task.id);
      return { image_id: imageId };
    } catch (err) {
      await this.revert(imageId, ctx.task.id, copy, status, written, downloaded, targetIds, undo);
      if (err instanceof TaskFailedError) throw err;
      throw new TaskFailedError(message(err));
    }
  }

  /** Bytes left under user_storage_quota for the owner, as for an upload (undefined: no quota). */
  private async quotaRemaining(owner: string | null): Promise<number | undefined> {
    if (this.storageQuota === undefined) return undefined;
    return this.storageQuota - (await this.locations.projectUsage(owner));
  }

  /** The staged data as a local file: plugins work on the staging store's file in place. */
  private stagedPath(source: ImageLocation): string {
    if (this.stores.storeOf(source) !== this.stores.staging || !source.url.startsWith('file:'))
      throw new TaskFailedError(
        'Import plugins work on a staged file: the staging store must be a file store (GLINT_STAGING_DIR), not S3',
      );
    return fileURLToPath(source.url);
  }

  /** Counts bytes on their way to the store and reports them ("Copied <n> MiB"). */
  private metered(ctx: TaskRunContext, stream: Readable, total: number | null): Readable {
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        void ctx
          .reportProgress({ bytes, total, message: `Copied ${Math.floor(bytes / MiB)} MiB` })
          .catch(() => undefined);
        done(null, chunk);
      },
    });
    stream.on('error', (err) => meter.destroy(err));
    return stream.pipe(meter);
  }

  /**
   * web-download: the URI's data into the staging store, every redirect checked by the filter.
   * With validation_data the source's hashes are computed on that same pass, and data that does
   * not match them never leaves staging (the pipeline deletes it).
   */
  private async download(
    ctx: TaskRunContext,
    image: ImageRecord,
    uri: string,
    validation?: SourceValidation,
  ): Promise<StoredImageData> {
    const opts = this.config.glance.import_filtering_opts;
    let url = uri;
    let res: Awaited<ReturnType<typeof fetchPinned>> | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (!(await passesImportFilter(url, opts)))
        throw new TaskFailedError(`URI for web-download does not pass filtering: ${url}`);
      res = await fetchPinned(url, { redirect: 'manual', signal: ctx.signal, dispatcher: this.webDownloads });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        url = new URL(res.headers.get('location')!, url).toString();
        res = undefined;
        continue;
      }
      break;
    }
    if (!res) throw new TaskFailedError(`Too many redirects fetching ${uri}`);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new TaskFailedError(`Failed to download ${uri}: HTTP ${res.status}`);
    }
    const length = res.headers.get('content-length');
    const check = validation
      ? {
          hashAlgo: validation.os_hash_algo,
          expect: {
            checksum: validation.checksum?.toLowerCase(),
            osHashValue: validation.os_hash_value?.toLowerCase(),
          },
        }
      : {};
    // undici's own web stream type, the same stream at run time.
    const body = res.body as unknown as ReadableStream<Uint8Array>;
    return this.stage(ctx, image.id, body, length ? Number(length) : undefined, check).catch(
      (err: unknown) => {
        if (err instanceof HashMismatchError)
          throw new TaskFailedError(`Downloaded data does not match validation_data: ${err.message}`);
        throw err;
      },
    );
  }

  /** An HTTP body into the staging store, recorded as the image's staged data. */
  private async stage(
    ctx: TaskRunContext,
    imageId: string,
    body: ReadableStream<Uint8Array>,
    expectedSize: number | undefined,
    check: { hashAlgo?: string; expect?: { checksum?: string; osHashValue?: string } } = {},
  ): Promise<StoredImageData> {
    const base = imageDataOptions(
      this.config.glance,
      { id: imageId, disk_format: null, container_format: null },
      false,
    );
    const stored = await this.stores.storeImageData(
      this.metered(
        ctx,
        Readable.fromWeb(body as import('node:stream/web').ReadableStream),
        expectedSize ?? null,
      ),
      this.stores.staging,
      {
        ...base,
        ...(check.expect ? { hashAlgo: check.hashAlgo ?? base.hashAlgo, expect: check.expect } : {}),
        expectedSize,
        signal: ctx.signal,
      },
    );
    await this.locations.add(imageId, { url: stored.location, metadata: stored.metadata }, 'staged');
    return stored;
  }

  /**
   * glance-download, first step: the remote image's record, which must be active; its formats and
   * the properties named by [glance_download_properties] extra_properties are taken over.
   */
  private async remoteMetadata(ctx: TaskRunContext, m: GlanceDownloadMethod): Promise<RemoteImage> {
    const base = await this.endpoints.resolve(m.glance_region, m.glance_service_interface, ctx.secrets);
    const url = `${base}/v2/images/${m.glance_image_id}`;
    const res = await this.remoteGet(ctx, url, 'application/json');
    let data: Record<string, unknown>;
    try {
      data = (await res.json()) as Record<string, unknown>;
    } catch {
      throw new TaskFailedError(`The image record at ${url} is not JSON`);
    }
    if (data.status !== 'active')
      throw new TaskFailedError(`Source image status should be active instead of ${String(data.status)}`);
    const size = Number(data.size);
    if (data.size === null || data.size === undefined || !Number.isSafeInteger(size) || size < 0)
      throw new TaskFailedError(
        `Size attribute of remote image ${m.glance_image_id} could not be determined.`,
      );
    const prefixes = this.config.glance.glance_download_properties.extra_properties;
    const properties: Record<string, string> = {};
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string' || key.startsWith('os_glance') || NOT_PROPERTIES.has(key)) continue;
      if (prefixes.some((p) => key.startsWith(p))) properties[key] = value;
    }
    return {
      url,
      size,
      diskFormat: typeof data.disk_format === 'string' ? data.disk_format : null,
      containerFormat: typeof data.container_format === 'string' ? data.container_format : null,
      properties,
    };
  }

  /** glance-download, second step: the remote image's data into staging, exactly its size. */
  private async remoteData(
    ctx: TaskRunContext,
    image: ImageRecord,
    m: GlanceDownloadMethod,
    remote: RemoteImage,
  ): Promise<StoredImageData> {
    const res = await this.remoteGet(ctx, `${remote.url}/file`, 'application/octet-stream');
    if (!res.body) throw new TaskFailedError(`Remote image ${m.glance_image_id} has no data`);
    return this.stage(ctx, image.id, res.body, remote.size);
  }

  private async remoteGet(ctx: TaskRunContext, url: string, accept: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { ...ctx.secrets, Accept: accept }, signal: ctx.signal });
    } catch (err) {
      throw new TaskFailedError(`Could not reach ${url}: ${message((err as Error).cause ?? err)}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      // The wording of the HTTP error Glance's task fails with.
      throw new TaskFailedError(`HTTP Error ${res.status}: ${res.statusText}`);
    }
    return res;
  }

  /** Staged data goes once the import ends, whichever way. */
  private async dropStaging(imageId: string, downloaded?: StoredImageData): Promise<void> {
    for (const l of await this.locations.list(imageId, 'staged')) {
      await this.stores.delete(l).catch(() => undefined);
      await this.locations.remove(l.id);
    }
    if (downloaded)
      await this.stores
        .delete({ url: downloaded.location, metadata: downloaded.metadata })
        .catch(() => undefined);
  }

  private async releaseLock(imageId: string, taskId: string): Promise<void> {
    const image = await this.images.findById(imageId);
    if (image && image.properties[IMPORT_LOCK] === taskId)
      await this.images.setProperties(imageId, {}, [IMPORT_LOCK]);
  }

  private async revert(
    imageId: string,
    taskId: string,
    copy: boolean,
    status: ImageStatus,
    written: StoredImageData[],
    downloaded: StoredImageData | undefined,
    targetIds: string[],
    undo: PluginUndo,
  ): Promise<void> {
    try {
      const urls = new Set(written.map((w) => w.location));
      for (const w of written)
        await this.stores.delete({ url: w.location, metadata: w.metadata }).catch(() => undefined);
      for (const l of await this.locations.list(imageId))
        if (urls.has(l.url)) await this.locations.remove(l.id);
      if (!copy) await this.dropStaging(imageId, downloaded);
      const image = await this.images.findById(imageId);
      if (!image) return;
      const importing = storeList(image, IMPORTING_TO).filter((s) => !targetIds.includes(s));
      const failed = storeList(image, FAILED_IMPORT);
      for (const s of targetIds) if (!failed.includes(s)) failed.push(s);
      // What glance-download took over and what the plugins changed go back to what they were.
      const restore: Record<string, string> = {};
      const drop: string[] = [];
      for (const [key, value] of Object.entries(undo.properties)) {
        if (value === null) drop.push(key);
        else restore[key] = value;
      }
      await this.images.setProperties(
        imageId,
        { ...restore, [IMPORTING_TO]: importing.join(','), [FAILED_IMPORT]: failed.join(',') },
        drop,
      );
      const formats =
        'diskFormat' in undo ? { diskFormat: undo.diskFormat, containerFormat: undo.containerFormat } : {};
      if (!copy && (status === 'importing' || status === 'active'))
        await this.images.transitionStatus(imageId, 'importing', 'queued', formats).catch(() => undefined);
      await this.releaseLock(imageId, taskId);
    } catch (err) {
      this.logger.error(`could not revert the import of image ${imageId}: ${message(err)}`);
    }
  }

  /**
   * The worker running this import died and the task was failed: undo what it may have left, as
   * its own revert would have. Data of a non-copy import was written by this task only (the image
   * had none), so it all goes; staged data goes; the image returns to queued unless it was
   * already activated; the lock is released. What a glance-download took over from the remote
   * image (formats, properties) stays, as the dead run's record of the old values is lost.
   */
  async recover(task: TaskSnapshot): Promise<void> {
    const input = task.input as unknown as ImportInput | null;
    const imageId = input?.image_id;
    if (!imageId) return;
    const image = await this.images.findById(imageId);
    if (!image || image.properties[IMPORT_LOCK] !== task.id) return;
    const copy = input.import_req?.method?.name === 'copy-image';
    const targetIds = input.backend ?? [this.stores.defaultStore.id];
    if (!copy && image.status === 'importing') {
      for (const l of await this.locations.list(imageId)) {
        await this.stores.delete(l).catch(() => undefined);
        await this.locations.remove(l.id);
      }
    }
    // Still uploading: the run died before it began, and the staged data is the caller's to import.
    if (!copy && image.status !== 'uploading') await this.dropStaging(imageId);
    await this.stores.sweepUnfinished(imageId);
    const importing = storeList(image, IMPORTING_TO).filter((s) => !targetIds.includes(s));
    const failed = storeList(image, FAILED_IMPORT);
    for (const s of storeList(image, IMPORTING_TO))
      if (targetIds.includes(s) && !failed.includes(s)) failed.push(s);
    await this.images.setProperties(imageId, {
      [IMPORTING_TO]: importing.join(','),
      [FAILED_IMPORT]: failed.join(','),
    });
    if (!copy && image.status === 'importing')
      await this.images.transitionStatus(imageId, 'importing', 'queued').catch(() => undefined);
    await this.releaseLock(imageId, task.id);
    this.logger.warn(`cleaned up after the interrupted import task ${task.id} of image ${imageId}`);
  }
}
