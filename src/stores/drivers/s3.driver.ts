import { isIP } from 'node:net';
import { Readable, Transform, pipeline } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DomainError,
  DuplicateError,
  InvalidError,
  NotFoundError,
  UnavailableError,
} from '../../common/errors/domain-errors.js';
import type {
  ByteRange,
  Capability,
  StoreDriver,
  StoreReadResult,
  StoreWriteOptions,
  StoreWriteResult,
} from '../store-driver.js';

const MIB = 1024 * 1024;
/** S3 refuses parts smaller than this (except the last). */
export const S3_MIN_PART_SIZE = 5 * MIB;

export interface S3StoreSettings {
  /** http(s)://host[:port]; a bare host means https, as in glance_store. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  forcePathStyle: boolean;
  createBucketOnPut: boolean;
  /** Bytes per multipart part. */
  partSize: number;
  /** Parts uploaded at once (memory is about partSize × queueSize per upload). */
  queueSize: number;
  /** Shown in the store detail only (glance_store's single-PUT threshold, MB). */
  largeObjectSizeMb: number;
}

/** Turns s3_store_host into an endpoint URL; glance_store treats a scheme-less host as https. */
export function s3Endpoint(host: string): URL {
  return new URL(/^https?:\/\//i.test(host) ? host : `https://${host}`);
}

/** glance_store's `auto`: path-style for hosts that cannot carry a bucket sub-domain. */
export function s3PathStyle(format: 'auto' | 'path' | 'virtual', endpoint: URL): boolean {
  if (format !== 'auto') return format === 'path';
  const host = endpoint.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) !== 0 || host === 'localhost' || !host.includes('.');
}

/**
 * Objects in one S3 bucket, keyed by image id, written with a streamed multipart upload (a part at
 * a time is buffered, `queueSize` parts in flight). A failed or aborted write aborts the multipart
 * upload so no parts are left billed in the bucket.
 *
 * Locations are `s3+http(s)://host[:port]/bucket/key` without credentials: the store's settings
 * hold those, so a location shown to a client never leaks a secret (glance_store embeds them).
 */
export class S3StoreDriver implements StoreDriver {
  readonly type = 's3';
  readonly schemes = ['s3', 's3+http', 's3+https'] as const;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['read', 'write', 'random_access']);
  private readonly client: S3Client;
  private readonly endpoint: URL;
  private bucketChecked = false;

  constructor(private readonly settings: S3StoreSettings) {
    this.endpoint = s3Endpoint(settings.endpoint);
    this.client = new S3Client({
      endpoint: this.endpoint.origin,
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey },
      // Checksums on by default in SDK ≥ 3.729 break some S3-compatible servers; ours come from the pipeline.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async add(imageId: string, data: Readable, options: StoreWriteOptions = {}): Promise<StoreWriteResult> {
    const key = imageId;
    await this.ensureBucket();
    if (await this.exists(key)) throw new DuplicateError(`Image ${imageId} already exists in the store`);

    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    // The source's failure reaches the upload through `counted`.
    pipeline(data, counted, () => undefined);
    // Aborting destroys the source, so the upload fails through its normal path, which aborts the
    // multipart upload before done() settles (lib-storage's own abort settles before that).
    const onAbort = () =>
      data.destroy(Object.assign(new Error('The write was aborted'), { name: 'AbortError' }));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.settings.bucket,
        Key: key,
        Body: counted,
        ContentType: 'application/octet-stream',
      },
      partSize: this.settings.partSize,
      queueSize: this.settings.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      await this.cleanUpFailedUpload(upload, key);
      const cause = data.errored ?? counted.errored;
      if (cause && cause !== err) throw cause;
      throw this.translate(err, key);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { location: this.locationOf(key), size, metadata: {} };
  }

  async get(location: string, range?: ByteRange): Promise<StoreReadResult> {
    const key = this.keyOf(location);
    let header: string | undefined;
    if (range && (range.offset > 0 || range.length !== undefined)) {
      if (range.length === 0) {
        const total = await this.getSize(location);
        return { stream: Readable.from([]), length: 0, totalSize: total };
      }
      header = `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}`;
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, Range: header }),
      );
      const total = out.ContentRange ? Number(out.ContentRange.split('/')[1]) : out.ContentLength;
      return { stream: out.Body as Readable, length: out.ContentLength, totalSize: total };
    } catch (err) {
      throw this.translate(err, key);
    }
  }

  async getSize(location: string): Promise<number> {
    const key = this.keyOf(location);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      throw this.translate(err, key);
    }
  }

  async delete(location: string): Promise<void> {
    const key = this.keyOf(location);
    // S3 deletes of a missing key succeed; the contract wants NotFound.
    if (!(await this.exists(key)))
      throw new NotFoundError(`Object ${key} not found in bucket ${this.settings.bucket}`);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
    } catch (err) {
      throw this.translate(err, key);
    }
  }

  detailProperties(): Record<string, unknown> {
    return {
      s3_store_large_object_size: this.settings.largeObjectSizeMb,
      s3_store_large_object_chunk_size: this.settings.partSize / MIB,
      s3_store_thread_pools: this.settings.queueSize,
    };
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private locationOf(key: string): string {
    const scheme = this.endpoint.protocol === 'http:' ? 's3+http' : 's3+https';
    return `${scheme}://${this.endpoint.host}/${encodeURIComponent(this.settings.bucket)}/${encodeURIComponent(key)}`;
  }

  private keyOf(location: string): string {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new NotFoundError(`Location ${location} is not an S3 location`);
    }
    const [bucket, ...rest] = url.pathname.replace(/^\//, '').split('/');
    if (!this.schemes.includes(url.protocol.slice(0, -1) as never) || !rest.length) {
      throw new NotFoundError(`Location ${location} is not an S3 location`);
    }
    if (decodeURIComponent(bucket) !== this.settings.bucket) {
      throw new NotFoundError(`Location ${location} is not in bucket ${this.settings.bucket}`);
    }
    return decodeURIComponent(rest.join('/'));
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.translate(err, key);
    }
  }

  private async ensureBucket(): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      if (!isMissing(err)) throw this.translate(err, this.settings.bucket);
      if (!this.settings.createBucketOnPut) {
        throw new UnavailableError(`The S3 bucket ${this.settings.bucket} does not exist`);
      }
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
      } catch (createErr) {
        if (!(createErr instanceof S3ServiceException && createErr.name === 'BucketAlreadyOwnedByYou')) {
          throw this.translate(createErr, this.settings.bucket);
        }
      }
    }
    this.bucketChecked = true;
  }

  /**
   * lib-storage aborts the multipart upload on its failure path; this repeats the abort, since S3
   * may keep a part whose upload raced the first one. (A single PUT is only sent once the whole
   * stream was read without error, so a failed one leaves no object.)
   */
  private async cleanUpFailedUpload(upload: Upload, key: string): Promise<void> {
    const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
    if (uploadId) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
    }
  }

  private translate(err: unknown, key: string): Error {
    if (err instanceof DomainError) return err;
    if (isMissing(err)) return new NotFoundError(`Object ${key} not found in bucket ${this.settings.bucket}`);
    if (err instanceof S3ServiceException) {
      if (err.name === 'InvalidRange') return new InvalidError(`Invalid range for object ${key}`);
      if (err.$metadata.httpStatusCode === 403 || err.name === 'InvalidAccessKeyId') {
        return new UnavailableError(`The S3 store refused access: ${err.name}`);
      }
      return new UnavailableError(`The S3 store failed: ${err.name}`);
    }
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code && /^E[A-Z]+$/.test(code)) return new UnavailableError(`The S3 store is unreachable: ${code}`);
    return err as Error;
  }
}

function isMissing(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return (
    err.name === 'NoSuchKey' ||
    err.name === 'NotFound' ||
    err.name === 'NoSuchBucket' ||
    err.$metadata.httpStatusCode === 404
  );
}
