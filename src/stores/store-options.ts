import { plainToInstance } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Min, validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { ConfigError } from '../config/app-config.js';

/**
 * The options of each store type, under glance_store's names. They are validated here rather than
 * in config/ because only the stores feature knows which options belong to which type.
 */

/** Options every store section may carry (glance_store's multi-store options). */
export class BaseStoreOptions {
  /** Shown by GET /v2/info/stores. */
  @IsOptional() @IsString() store_description?: string;
  /** Higher weights are read first when an image has data in several stores. */
  @IsInt() weight = 0;
}

export class FileStoreOptions extends BaseStoreOptions {
  /** Directory of the image files; relative paths are taken from GLINT_DATA_DIR. */
  @IsOptional() @IsString() filesystem_store_datadir?: string;
  /** Read buffer size in bytes. */
  @IsInt() @Min(4096) filesystem_store_chunk_size = 65536;
  /** Octal mode of new image files as a number (e.g. 416 = 0o640); 0 keeps the umask's. */
  @IsInt() @Min(0) filesystem_store_file_perm = 0;
}

export const S3_URL_FORMATS = ['auto', 'virtual', 'path'] as const;

export class S3StoreOptions extends BaseStoreOptions {
  /** http(s)://host[:port] of the S3 endpoint; a bare host means https. */
  @IsString() s3_store_host: string;
  @IsString() s3_store_access_key: string;
  @IsString() s3_store_secret_key: string;
  @IsString() s3_store_bucket: string;
  @IsBoolean() s3_store_create_bucket_on_put = false;
  /** path: http://host/bucket/key; virtual: http://bucket.host/key; auto: path for IPs and bare hosts. */
  @IsIn(S3_URL_FORMATS) s3_store_bucket_url_format: (typeof S3_URL_FORMATS)[number] = 'auto';
  /** Empty selects us-east-1, as the SDK needs a region for signing. */
  @IsString() s3_store_region_name = '';
  /** MB; shown in the store detail (Glint always streams in parts). */
  @IsInt() @Min(1) s3_store_large_object_size = 100;
  /** MB per multipart part; S3's minimum is 5. */
  @IsInt() @Min(5) s3_store_large_object_chunk_size = 10;
  /** Parts uploaded in parallel per image. */
  @IsInt() @Min(1) s3_store_thread_pools = 10;
}

export class HttpStoreOptions extends BaseStoreOptions {
  /** glance_store's default is true: TLS certificates of image URLs are not verified. */
  @IsBoolean() https_insecure = true;
  @IsOptional() @IsString() https_ca_certificates_file?: string;
  /** scheme → proxy URL, e.g. {https: "http://proxy:3128"}. */
  @IsObject() http_proxy_information: Record<string, string> = {};
}

/** The reserved internal stores take only a directory. */
export class ReservedStoreOptions {
  @IsOptional() @IsString() filesystem_store_datadir?: string;
}

export const STORE_OPTION_CLASSES = {
  file: FileStoreOptions,
  s3: S3StoreOptions,
  http: HttpStoreOptions,
} as const;

export type StoreType = keyof typeof STORE_OPTION_CLASSES;
export type StoreOptions = FileStoreOptions | S3StoreOptions | HttpStoreOptions;

function flatten(errors: ValidationError[], prefix: string): string[] {
  return errors.flatMap((e) => {
    const path = `${prefix}.${e.property}`;
    return [
      ...Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`),
      ...flatten(e.children ?? [], path),
    ];
  });
}

/** Validates one store section, naming the offending option as `stores.<section>.<option>`. */
export function parseOptions<T extends object>(cls: new () => T, raw: unknown, section: string): T {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`GLINT_CONFIG: ${section} must be a mapping`);
  }
  const options = plainToInstance(cls, raw);
  const errors = validateSync(options, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw new ConfigError(`GLINT_CONFIG: ${flatten(errors, section).join('; ')}`);
  return options;
}
