import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { ImagesService } from '../../images/images.service.js';
import type { ImageRecord } from '../../images/image-record.js';
import { TEMP_PREFIX } from '../../stores/drivers/file.driver.js';
import { FormatInspector } from '../../stores/formats/format-inspector.js';
import type { Detection } from '../../stores/formats/format-inspector.js';
import { TaskFailedError } from '../../tasks/executor/task-handler.js';
import { qemuImgInfo, runQemuImg } from './qemu-img.js';
import { openZipMember } from './zip-member.js';

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const LHA_MAGIC = Buffer.from('-lh'); // at offset 2
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What an import changed on the image (glance-download, then the plugins; the first record of a
 * field wins), so that a failed import can put it back: the formats
 * conversion replaced and the previous values of injected properties (null: it had none).
 */
export interface PluginUndo {
  diskFormat?: string | null;
  containerFormat?: string | null;
  properties: Record<string, string | null>;
}

export interface PluginRun {
  image: ImageRecord;
  /** The staged data, a file of the staging store; plugins replace it in place. */
  path: string;
  /** The roles of the caller who asked for the import. */
  roles: readonly string[];
  signal: AbortSignal;
}

/**
 * Glance's import plugins ([image_import_opts] image_import_plugins), run in the configured order
 * on the staged file after the data is in staging and before it goes to the target stores.
 * Each failure is a TaskFailedError whose message says which plugin failed and why.
 */
@Injectable()
export class ImportPlugins {
  private readonly logger = new Logger('ImportPlugins');

  constructor(
    private readonly images: ImagesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): string[] {
    return this.config.glance.image_import_opts.image_import_plugins;
  }

  /** Runs every enabled plugin; `undo` records each change as it is made. Returns the image after. */
  async run(run: PluginRun, undo: PluginUndo): Promise<ImageRecord> {
    let image = run.image;
    for (const plugin of this.enabled) {
      run.signal.throwIfAborted();
      if (plugin === 'image_decompression') await this.decompress({ ...run, image });
      else if (plugin === 'image_conversion') image = await this.convert({ ...run, image }, undo);
      else if (plugin === 'inject_image_metadata') image = await this.inject({ ...run, image }, undo);
    }
    return image;
  }

  // ---- image_decompression -------------------------------------------------------------------

  private async decompress(run: PluginRun): Promise<void> {
    // A 'compressed' container is meant to stay compressed.
    if (run.image.containerFormat === 'compressed') return;
    const head = await readHead(run.path, 8);
    let kind: 'zip' | 'gzip' | undefined;
    if (head.subarray(0, 4).equals(ZIP_MAGIC)) kind = 'zip';
    else if (head.subarray(2, 5).equals(LHA_MAGIC))
      throw new TaskFailedError('Image decompression failed: LHA archives are not supported');
    else if (head.subarray(0, 3).equals(GZIP_MAGIC)) kind = 'gzip';
    if (!kind) return;

    const cap = this.config.glance.image_size_cap;
    await this.replaceStaged(run, 'decompression', async (dest) => {
      const source: Readable =
        kind === 'zip' ? await openZipMember(run.path) : createReadStream(run.path).pipe(createGunzip());
      // Decompressed output is capped as uploads are: a small bomb must not fill the staging disk.
      let bytes = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (bytes > cap) return done(new Error('The incoming image is too large'));
          done(null, chunk);
        },
      });
      await pipeline(source, limit, createWriteStream(dest, { flags: 'wx' }), { signal: run.signal });
    });
    this.logger.log(`image ${run.image.id}: ${kind} data decompressed`);
  }

  /**
   * Writes a new version of the staged file beside it (hidden, so a crash leaves only what the
   * staging store sweeps at start), then swaps it in.
   */
  private async replaceStaged(
    run: PluginRun,
    what: string,
    produce: (dest: string) => Promise<void>,
  ): Promise<void> {
    const dest = join(
      dirname(run.path),
      `${TEMP_PREFIX}${basename(run.path)}.${what}.${randomBytes(6).toString('hex')}`,
    );
    try {
      await produce(dest);
      await rename(dest, run.path);
    } catch (err) {
      await unlink(dest).catch(() => undefined);
      if (err instanceof TaskFailedError) throw err;
      throw new TaskFailedError(`Image ${what} failed: ${message(err)}`);
    }
  }

  // ---- image_conversion ----------------------------------------------------------------------

  private async convert(run: PluginRun, undo: PluginUndo): Promise<ImageRecord> {
    const target = this.config.glance.image_conversion.output_format;
    const source = run.image.diskFormat ?? '';
    const qemuImg = this.config.qemuImg;
    const fail = (why: string) => new TaskFailedError(`Image conversion failed: ${why}`);

    // Our own inspection first: qemu-img never opens data that claims to be what it is not, nor
    // a qcow2 that points at other files.
    const detection = await this.inspect(run.path, run.signal);
    if (detection.violations.length) {
      throw fail(`Image has disallowed configuration (${detection.violations.join('; ')})`);
    }
    if (detection.format === 'iso') {
      if (source === 'iso') return run.image; // ISOs are stored as they are.
      throw fail(`Image has disallowed configuration (ISO data declared as ${source})`);
    }
    if (detection.format !== source) {
      throw fail(`Image format mismatch: disk_format is ${source}, the data is ${detection.format}`);
    }

    const info = await qemuImgInfo(qemuImg, source, run.path, run.signal);
    if (info.format !== source) {
      throw fail(`Image metadata disagrees about format: qemu-img reports ${info.format ?? 'unknown'}`);
    }
    if (info['backing-filename'] !== undefined) throw fail('QCOW images with backing files are not allowed');
    if (info['format-specific']?.data?.['data-file'] !== undefined)
      throw fail('QCOW images with data-file set are not allowed');
    if (source === 'vmdk') {
      const createType = info['format-specific']?.data?.['create-type'];
      const allowed = this.config.glance.image_format.vmdk_allowed_types;
      if (!createType) throw fail('Unable to determine VMDK create-type');
      if (!allowed.includes(createType)) throw fail(`Invalid VMDK create-type specified: ${createType}`);
    }
    if (source === target) return run.image;
    // Raw output is as large as the virtual disk: refuse before writing it, not after.
    const virtualSize = info['virtual-size'] ?? 0;
    if (target === 'raw' && virtualSize > this.config.glance.image_size_cap) {
      throw fail(
        `The incoming image is too large: its virtual size ${virtualSize} exceeds image_size_cap ${this.config.glance.image_size_cap}`,
      );
    }

    await this.replaceStaged(run, 'conversion', async (dest) => {
      await runQemuImg(qemuImg, ['convert', '-f', source, '-O', target, run.path, dest], run.signal);
      const converted = await this.inspect(dest, run.signal);
      if (converted.violations.length)
        throw fail(`converted image failed inspection (${converted.violations.join('; ')})`);
    });
    const { size } = await stat(run.path);
    if (!('diskFormat' in undo)) {
      undo.diskFormat = run.image.diskFormat;
      undo.containerFormat = run.image.containerFormat;
    }
    this.logger.log(`image ${run.image.id}: converted from ${source} to ${target}`);
    return this.images.saveDataFields(run.image.id, run.image.status, {
      diskFormat: target,
      containerFormat: 'bare',
      size,
    });
  }

  /** The format inspector over a whole file (it keeps only what its detectors ask for). */
  private async inspect(path: string, signal: AbortSignal): Promise<Detection> {
    const inspector = new FormatInspector({
      vmdkAllowedTypes: this.config.glance.image_format.vmdk_allowed_types,
    });
    for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 }))
      inspector.write(chunk as Buffer);
    return inspector.finish();
  }

  // ---- inject_image_metadata -----------------------------------------------------------------

  private async inject(run: PluginRun, undo: PluginUndo): Promise<ImageRecord> {
    const opts = this.config.glance.inject_metadata_properties;
    const ignored = opts.ignore_user_roles.map((r) => r.trim().toLowerCase());
    if (run.roles.some((r) => ignored.includes(r.toLowerCase()))) return run.image;
    const set: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.inject)) {
      // The import bookkeeping belongs to the server.
      if (key.startsWith('os_glance')) continue;
      set[key] = String(value);
    }
    if (!Object.keys(set).length) return run.image;
    for (const key of Object.keys(set))
      if (!(key in undo.properties)) undo.properties[key] = run.image.properties[key] ?? null;
    return this.images.setProperties(run.image.id, set);
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
