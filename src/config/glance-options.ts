import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { KeystoneAuthtokenOptions, OidcOptions } from './auth-options.js';

/**
 * The structured settings read from GLINT_CONFIG. Option names and defaults are Glance's
 * (glance-api.conf), so an operator can carry a Glance configuration over: top-level keys are
 * Glance's [DEFAULT] options, nested objects are Glance's config sections.
 */

export const DEFAULT_DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
];
export const DEFAULT_CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
export const IMPORT_METHODS = ['glance-direct', 'web-download', 'copy-image', 'glance-download'] as const;

export class ImageFormatOptions {
  @IsArray()
  @IsString({ each: true })
  disk_formats: string[] = [...DEFAULT_DISK_FORMATS];

  @IsArray()
  @IsString({ each: true })
  container_formats: string[] = [...DEFAULT_CONTAINER_FORMATS];

  @IsBoolean()
  require_image_format_match = true;

  @IsArray()
  @IsString({ each: true })
  vmdk_allowed_types: string[] = ['streamOptimized', 'monolithicSparse'];

  @IsArray()
  @IsString({ each: true })
  gpt_safety_checks_nonfatal: string[] = [];
}

export class TaskOptions {
  /** Hours a finished task is kept. */
  @IsInt()
  @Min(0)
  task_time_to_live = 48;
}

export class OsloPolicyOptions {
  /** false selects Glance's deprecated legacy rules (any role may act on its own project). */
  @IsBoolean()
  enforce_new_defaults = true;

  /** A YAML or JSON file of `rule: check` overrides, in oslo.policy syntax. */
  @IsOptional()
  @IsString()
  policy_file?: string;
}

export class OsloMiddlewareOptions {
  /** Trust Forwarded / X-Forwarded-Proto, -Host and -Prefix for the URLs Glint writes (Location, versions). */
  @IsBoolean()
  enable_proxy_headers_parsing = false;
}

/** oslo.middleware's `[cors]`, with the defaults Glance sets for it. */
export class CorsOptions {
  /** Origins allowed to call the API from a browser (`*` for any); none by default. */
  @StringList() allowed_origin: string[] = [];
  @IsBoolean() allow_credentials = true;
  @StringList()
  expose_headers: string[] = [
    'X-Image-Meta-Checksum',
    'X-Auth-Token',
    'X-Subject-Token',
    'X-Service-Token',
    'X-OpenStack-Request-ID',
  ];
  @IsInt() max_age = 3600;
  @StringList() allow_methods: string[] = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'];
  @StringList()
  allow_headers: string[] = [
    'Content-MD5',
    'X-Image-Meta-Checksum',
    'X-Storage-Token',
    'Accept-Encoding',
    'X-Auth-Token',
    'X-Identity-Status',
    'X-Roles',
    'X-Service-Catalog',
    'X-User-Id',
    'X-Tenant-Id',
    'X-OpenStack-Request-ID',
  ];
}

export class ImportFilteringOptions {
  @IsArray() @IsString({ each: true }) allowed_schemes: string[] = ['http', 'https'];
  @IsArray() @IsString({ each: true }) disallowed_schemes: string[] = [];
  @IsArray() @IsString({ each: true }) allowed_hosts: string[] = [];
  @IsArray() @IsString({ each: true }) disallowed_hosts: string[] = [];
  @IsArray() @IsInt({ each: true }) allowed_ports: number[] = [80, 443];
  @IsArray() @IsInt({ each: true }) disallowed_ports: number[] = [];
  /**
   * Glint's addition: private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) may be
   * fetched from. Loopback and link-local stay refused unless allowed_hosts names the host.
   */
  @IsBoolean() allow_private_networks = false;
}

export const IMPORT_PLUGINS = [
  'image_decompression',
  'image_conversion',
  'inject_image_metadata',
  'no_op',
] as const;
export const CONVERSION_OUTPUT_FORMATS = ['qcow2', 'raw', 'vmdk'] as const;

export class ImageImportOptions {
  /** Run in this order on staged data, before it goes to the target stores (not for copy-image). */
  @Transform(listOpt)
  @IsArray()
  @IsIn(IMPORT_PLUGINS, { each: true })
  image_import_plugins: string[] = [];
}

export class ImageConversionOptions {
  @IsIn(CONVERSION_OUTPUT_FORMATS) output_format = 'raw';
}

/** A list of strings, written as oslo.config's ListOpt text or as a YAML list. */
function StringList(): PropertyDecorator {
  return (target, key) => {
    Transform(listOpt)(target, key);
    IsArray()(target, key);
    IsString({ each: true })(target, key);
  };
}

/** oslo.config's ListOpt text form ("admin,member") as well as a YAML list. */
function listOpt({ value }: { value: unknown }): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : value;
}

/** oslo.config's DictOpt text form ("k1:v1,k2:v2") as well as a YAML mapping; values as strings. */
function dictOpt({ value }: { value: unknown }): unknown {
  if (typeof value === 'string') {
    const out: Record<string, string> = {};
    for (const pair of value.split(',')) {
      if (!pair.trim()) continue;
      const at = pair.indexOf(':');
      if (at < 0) return value;
      out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
    return out;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
  return value;
}

export class InjectMetadataPropertiesOptions {
  /** Callers with any of these roles get no injected properties. */
  @StringList() ignore_user_roles: string[] = ['admin'];

  /** Properties set on every image imported by other callers. */
  @Transform(dictOpt)
  @IsObject()
  inject: Record<string, string> = {};
}

export class GlanceDownloadPropertiesOptions {
  /** Prefixes of the remote image's properties that glance-download copies onto the image. */
  @IsArray()
  @IsString({ each: true })
  extra_properties: string[] = ['hw_', 'trait:', 'os_distro', 'os_secure_boot', 'os_type'];
}

export class GlanceOptions {
  /** Seconds a client connection may stay idle before it is closed (0: never). */
  @IsInt() @Min(0) client_socket_timeout = 900;
  /** Longest header line accepted, in bytes (large Keystone tokens may need more). */
  @IsInt() @Min(1024) max_header_line = 16384;
  @IsInt() @Min(0) limit_param_default = 25;
  @IsInt() @Min(1) api_limit_max = 1000;
  @IsInt() @Min(0) image_size_cap = 1099511627776;
  @IsInt() image_member_quota = 128;
  @IsInt() image_property_quota = 128;
  @IsInt() image_tag_quota = 128;
  @IsInt() image_location_quota = 10;

  /** Legacy per-project storage quota: "0" is off; units B, KB, MB, GB, TB. */
  @Matches(/^\d+(B|KB|MB|GB|TB)?$/)
  user_storage_quota = '0';

  @IsIn([
    'md5',
    'sha1',
    'sha224',
    'sha256',
    'sha384',
    'sha512',
    'sha3_224',
    'sha3_256',
    'sha3_384',
    'sha3_512',
  ])
  hashing_algorithm = 'sha512';

  /**
   * Deleting an image keeps its data (locations pending_delete) for the scrubber, which removes it
   * once scrub_time seconds have passed since the deletion. `stores.delayed_delete` is the older
   * spelling of the same switch.
   */
  @IsBoolean() delayed_delete = false;
  @IsInt() @Min(0) scrub_time = 0;
  /** Locations the scrubber removes at once. */
  @IsInt() @Min(1) scrub_pool_size = 1;
  /** Seconds between scrubber runs (glance-scrubber's daemon option); 0: this node never scrubs. */
  @IsInt() @Min(0) wakeup_time = 300;

  @IsBoolean() show_image_direct_url = false;
  @IsBoolean() show_multiple_locations = false;

  @IsArray()
  @IsIn(IMPORT_METHODS, { each: true })
  enabled_import_methods: string[] = ['glance-direct', 'web-download', 'copy-image'];

  /** Base URL of the version documents' links instead of the request's own URL (not of Location). */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  public_endpoint?: string;

  /** Longest client request id kept (0: no limit); Glance allows 0 to 16384. */
  @IsInt() @Min(0) @Max(16384) max_request_id_length = 64;
  @IsString() default_publisher_id = 'image.localhost';
  @IsArray() @IsString({ each: true }) disabled_notifications: string[] = [];

  @ValidateNested() @Type(() => ImageFormatOptions) image_format = new ImageFormatOptions();
  @ValidateNested() @Type(() => TaskOptions) task = new TaskOptions();
  @ValidateNested() @Type(() => OsloPolicyOptions) oslo_policy = new OsloPolicyOptions();
  @ValidateNested() @Type(() => OsloMiddlewareOptions) oslo_middleware = new OsloMiddlewareOptions();
  @ValidateNested() @Type(() => CorsOptions) cors = new CorsOptions();
  @ValidateNested() @Type(() => ImportFilteringOptions) import_filtering_opts = new ImportFilteringOptions();
  @ValidateNested() @Type(() => ImageImportOptions) image_import_opts = new ImageImportOptions();
  @ValidateNested() @Type(() => ImageConversionOptions) image_conversion = new ImageConversionOptions();
  @ValidateNested()
  @Type(() => InjectMetadataPropertiesOptions)
  inject_metadata_properties = new InjectMetadataPropertiesOptions();
  @ValidateNested()
  @Type(() => GlanceDownloadPropertiesOptions)
  glance_download_properties = new GlanceDownloadPropertiesOptions();
  /** GLINT_AUTH=keystone: keystonemiddleware's [keystone_authtoken] options. */
  @ValidateNested() @Type(() => KeystoneAuthtokenOptions) keystone_authtoken = new KeystoneAuthtokenOptions();
  /** GLINT_AUTH=oidc: the issuer and claim mapping of bearer JWTs. */
  @ValidateNested() @Type(() => OidcOptions) oidc = new OidcOptions();

  /** Inline policy overrides, `rule name: check string`; they win over the policy file. */
  @IsObject() policy: Record<string, string> = {};

  /**
   * Store settings, validated by the store registry (it knows each driver's options).
   * Kept opaque here so that config/ does not import a feature.
   */
  @IsOptional() @IsObject() stores?: Record<string, unknown>;
}
