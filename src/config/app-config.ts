import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import type { ValidationError } from 'class-validator';
import { parse as parseYaml } from 'yaml';
import { GlanceOptions, IMPORT_PLUGINS } from './glance-options.js';
import { parseNotifySinks, redactUrl } from './notify-sinks.js';
import type { NotifySinkSpec } from './notify-sinks.js';
import { missingAuthSettings } from './auth-options.js';
import { meshTransportOptions } from '../client/transport-url.js';
import { registryTransportOptions } from '../registry/registry-protocol.js';
import type { MeshTransportOptions } from '../client/transport-url.js';

export type AuthMode = 'noauth' | 'trusted' | 'keystone' | 'oidc';
export const AUTH_MODES: readonly AuthMode[] = ['noauth', 'trusted', 'keystone', 'oidc'];

export type ProcessRole = 'all' | 'api' | 'registry';
export const PROCESS_ROLES: readonly ProcessRole[] = ['all', 'api', 'registry'];

/** The environment Glint reads. Every setting is listed, with its default, in .env.example. */
export class EnvironmentVariables {
  @IsInt() @Min(0) @Max(65535) PORT = 9292;
  @IsString() HOST = '127.0.0.1';
  @IsString() GLINT_DATA_DIR = './data';
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @IsIn(AUTH_MODES) GLINT_AUTH: AuthMode = 'noauth';
  @IsOptional() @IsString() GLINT_CONFIG?: string;
  /** Extra image properties (Glance's schema-image.json); default: schema-image.json beside GLINT_CONFIG. */
  @IsOptional() @IsString() GLINT_SCHEMA_IMAGE_FILE?: string;
  @IsBoolean() GLINT_ALLOW_INSECURE_NOAUTH = false;
  @IsBoolean() GLINT_DB_MIGRATE = true;
  @IsInt() @Min(1) GLINT_DB_POOL_SIZE = 10;
  /** How long a request waits for the embedded database's single connection before failing. */
  @IsInt() @Min(100) GLINT_DB_ACQUIRE_TIMEOUT_MS = 30_000;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) GLINT_LOG_LEVEL = 'info';
  /** Largest JSON request body accepted, in bytes. */
  @IsInt() @Min(1024) GLINT_MAX_BODY_BYTES = 1_048_576;
  /** Hash full downloads and cut the transfer short when the data no longer matches the image's hash. */
  @IsBoolean() GLINT_VERIFY_ON_READ = false;
  /** Notification sinks, comma-separated: log, nats://…, amqp://…, redis://… (src/config/notify-sinks.ts). */
  @IsString() GLINT_NOTIFY = 'log';
  /** Notifications held per broker sink while it is unreachable; beyond this new ones are dropped. */
  @IsInt() @Min(1) GLINT_NOTIFY_MAX_PENDING = 10_000;
  /** How long an undeliverable notification is retried before it is dropped, in ms. */
  @IsInt() @Min(0) GLINT_NOTIFY_RETRY_MS = 300_000;
  /** Tasks this process runs at once; 0 makes it an API-only node that queues tasks for others. */
  @IsInt() @Min(0) GLINT_TASK_CONCURRENCY = 2;
  /** How often an idle worker looks for queued tasks (seconds). */
  @IsNumber() @Min(0.5) GLINT_TASK_POLL_SECONDS = 2;
  /** A running task whose worker has not signalled for this long is retried or failed (seconds). */
  @IsInt() @Min(10) GLINT_TASK_HEARTBEAT_SECONDS = 30;
  /** How often the executor looks for tasks whose worker died (seconds). */
  @IsInt() @Min(1) GLINT_TASK_SUPERVISE_SECONDS = 60;
  /** Longest one attempt of a task may run before it is retried or failed (seconds). */
  @IsInt() @Min(1) GLINT_TASK_MAX_RUNTIME_SECONDS = 86_400;
  /** Override keystone_authtoken.auth_url, username and password (secrets stay out of files). */
  @IsOptional() @IsString() GLINT_KEYSTONE_AUTH_URL?: string;
  @IsOptional() @IsString() GLINT_KEYSTONE_USERNAME?: string;
  @IsOptional() @IsString() GLINT_KEYSTONE_PASSWORD?: string;
  /** Override public_endpoint and oslo_middleware.enable_proxy_headers_parsing. */
  @IsOptional() @IsString() GLINT_PUBLIC_ENDPOINT?: string;
  @IsOptional() @IsBoolean() GLINT_ENABLE_PROXY_HEADERS_PARSING?: boolean;
  /** Override oidc.issuer and oidc.audience (comma list). */
  @IsOptional() @IsString() GLINT_OIDC_ISSUER?: string;
  @IsOptional() @IsString() GLINT_OIDC_AUDIENCE?: string;
  /** Mesh listeners, comma-separated: nats://…, amqp://…, redis://…, tcp://… (src/client/transport-url.ts). */
  @IsString() GLINT_MESH = '';
  /** The first segment of every mesh message pattern (`<prefix>.image.get`). */
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'GLINT_MESH_PREFIX must be letters, digits, _ or -' })
  GLINT_MESH_PREFIX = 'glint';
  /** When set, every mesh message must carry this token. */
  @IsOptional() @IsString() GLINT_MESH_TOKEN?: string;
  /** Overrides image_import_opts.image_import_plugins (comma list). */
  @IsOptional() @IsString() GLINT_IMPORT_PLUGINS?: string;
  /** The qemu-img the image_conversion plugin runs: a command name looked up in PATH, or a path. */
  @IsString() GLINT_QEMU_IMG = 'qemu-img';
  /**
   * Directory of the staging store (PUT /stage, web-download, glance-download). Point every
   * process of a deployment at one shared directory so any of them can import what another staged.
   */
  @IsOptional() @IsString() GLINT_STAGING_DIR?: string;
  /** glance-download: `Region=http://host:9292,Other=https://…`, the Image API of each remote region. */
  @IsOptional() @IsString() GLINT_GLANCE_DOWNLOAD_ENDPOINTS?: string;
  /** all: one process with the database; registry: the database behind a transport; api: uses a registry. */
  @IsIn(PROCESS_ROLES) GLINT_ROLE: ProcessRole = 'all';
  /** GLINT_ROLE=api: where the registry answers (tcp://…, nats://…, amqp://…, redis://…). */
  @IsOptional() @IsString() GLINT_REGISTRY_URL?: string;
  /** GLINT_ROLE=registry: where it listens for the API processes. */
  @IsString() GLINT_REGISTRY_LISTEN = 'tcp://127.0.0.1:9191';
  /** The registry's message patterns are `<GLINT_REGISTRY_PREFIX>.<repository>.<operation>`. */
  @Matches(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
    message: 'GLINT_REGISTRY_PREFIX must be dot-separated words of letters, digits, _ or -',
  })
  GLINT_REGISTRY_PREFIX = 'glint.registry';
  /** When set, every registry message must carry this token (both roles set the same value). */
  @IsOptional() @IsString() GLINT_REGISTRY_TOKEN?: string;
  /** How long an API process waits for one registry reply before answering 503 (ms). */
  @IsInt() @Min(100) GLINT_REGISTRY_TIMEOUT_MS = 30_000;
}

export interface RegistryConfig {
  role: ProcessRole;
  /** api role: the client options of GLINT_REGISTRY_URL. */
  client?: MeshTransportOptions;
  /** registry role: the listener options of GLINT_REGISTRY_LISTEN. */
  listener?: MeshTransportOptions;
  token?: string;
  timeoutMs: number;
  /** The first segments of every registry pattern. */
  prefix: string;
  /** The URL in use (GLINT_REGISTRY_URL or GLINT_REGISTRY_LISTEN), credentials masked, for logs. */
  address?: string;
}

export interface TaskExecutorConfig {
  concurrency: number;
  pollSeconds: number;
  heartbeatSeconds: number;
  superviseSeconds: number;
  maxRuntimeSeconds: number;
}

export interface MeshConfig {
  /** Listener options, one per GLINT_MESH entry. */
  listeners: MeshTransportOptions[];
  prefix: string;
  token?: string;
}

/** The operator's extra image properties, as read from their schema-image.json. */
export interface ImageSchemaFile {
  path: string;
  /** Property name → JSON schema, in the file's order. */
  properties: Record<string, Record<string, unknown>>;
}

export interface NotifyConfig {
  sinks: NotifySinkSpec[];
  maxPending: number;
  retryMs: number;
}

export interface DatabaseConfig {
  /** A postgres:// URL, or undefined for the embedded database. */
  url?: string;
  /** Where the embedded database keeps its files (unused with a URL). */
  embeddedDir: string;
  migrate: boolean;
  poolSize: number;
  acquireTimeoutMs: number;
  /** Tests only: an embedded-database snapshot to load into memory instead of embeddedDir. */
  embeddedSnapshot?: string;
}

export interface GlanceDownloadConfig {
  /** Lower-cased region name → Image API base URL (without /v2). */
  endpoints: Record<string, string>;
}

/** The typed configuration handed to the rest of the application. */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  auth: AuthMode;
  allowInsecureNoauth: boolean;
  logLevel: string;
  maxBodyBytes: number;
  /** GLINT_VERIFY_ON_READ. */
  verifyOnRead: boolean;
  database: DatabaseConfig;
  notify: NotifyConfig;
  tasks: TaskExecutorConfig;
  mesh: MeshConfig;
  /** The staging store's directory from GLINT_STAGING_DIR (absolute), when set. */
  stagingDir?: string;
  glanceDownload: GlanceDownloadConfig;
  /** GLINT_ROLE and how the API processes reach the registry (src/registry). */
  registry: RegistryConfig;
  glance: GlanceOptions;
  /** The qemu-img binary of the image_conversion import plugin. */
  qemuImg: string;
  /** The path of the structured settings file, when one was given. */
  configFile?: string;
  /** Extra image properties from a schema-image.json; undefined: the ones Glance ships. */
  imageSchemaFile?: ImageSchemaFile;
}

export class ConfigError extends Error {}

const BOOLEANS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};
const NUMERIC_ENV = new Set([
  'PORT',
  'GLINT_DB_POOL_SIZE',
  'GLINT_DB_ACQUIRE_TIMEOUT_MS',
  'GLINT_MAX_BODY_BYTES',
  'GLINT_NOTIFY_MAX_PENDING',
  'GLINT_NOTIFY_RETRY_MS',
  'GLINT_TASK_CONCURRENCY',
  'GLINT_TASK_POLL_SECONDS',
  'GLINT_TASK_HEARTBEAT_SECONDS',
  'GLINT_TASK_SUPERVISE_SECONDS',
  'GLINT_TASK_MAX_RUNTIME_SECONDS',
  'GLINT_REGISTRY_TIMEOUT_MS',
]);
const BOOLEAN_ENV = new Set([
  'GLINT_ALLOW_INSECURE_NOAUTH',
  'GLINT_DB_MIGRATE',
  'GLINT_ENABLE_PROXY_HEADERS_PARSING',
  'GLINT_VERIFY_ON_READ',
]);

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

function coerceEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const known = Object.keys(new EnvironmentVariables());
  const out: Record<string, unknown> = {};
  for (const key of known) {
    const raw = env[key];
    if (raw === undefined || raw === '') continue;
    if (NUMERIC_ENV.has(key)) out[key] = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
    else if (BOOLEAN_ENV.has(key)) out[key] = BOOLEANS[raw.trim().toLowerCase()] ?? raw;
    else out[key] = raw;
  }
  return out;
}

function readStructured(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`GLINT_CONFIG: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `GLINT_CONFIG: ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}

/** Builds Glance options from a plain object, refusing unknown keys and wrong types by name. */
export function parseGlanceOptions(raw: unknown, source = 'GLINT_CONFIG'): GlanceOptions {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${source}: the top level must be a mapping`);
  const options = plainToInstance(GlanceOptions, raw);
  const errors = validateSync(options, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw new ConfigError(`${source}: ${flatten(errors).join('; ')}`);
  return options;
}

/**
 * Reads and validates every setting once. Nothing else in Glint reads process.env; a wrong
 * setting throws a ConfigError whose message names it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AppConfig {
  const vars = plainToInstance(EnvironmentVariables, coerceEnv(env));
  const errors = validateSync(vars);
  if (errors.length) throw new ConfigError(flatten(errors).join('; '));

  const dataDir = isAbsolute(vars.GLINT_DATA_DIR) ? vars.GLINT_DATA_DIR : resolve(cwd, vars.GLINT_DATA_DIR);
  const configFile = vars.GLINT_CONFIG ? resolve(cwd, vars.GLINT_CONFIG) : undefined;
  const structured = configFile ? readStructured(configFile) : {};
  const glance = parseGlanceOptions(withEnvOverrides(structured, vars));
  if (glance.api_limit_max < glance.limit_param_default) {
    throw new ConfigError('GLINT_CONFIG: limit_param_default must not exceed api_limit_max');
  }
  if (glance.oslo_policy.policy_file && configFile && !isAbsolute(glance.oslo_policy.policy_file)) {
    glance.oslo_policy.policy_file = resolve(configFile, '..', glance.oslo_policy.policy_file);
  }

  let sinks: NotifySinkSpec[];
  try {
    sinks = parseNotifySinks(vars.GLINT_NOTIFY);
  } catch (err) {
    throw new ConfigError(`GLINT_NOTIFY: ${(err as Error).message}`, { cause: err });
  }
  applyAuthOverrides(glance, vars);
  if (vars.GLINT_IMPORT_PLUGINS !== undefined) {
    const plugins = vars.GLINT_IMPORT_PLUGINS.split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const unknown = plugins.filter((p) => !(IMPORT_PLUGINS as readonly string[]).includes(p));
    if (unknown.length) {
      throw new ConfigError(
        `GLINT_IMPORT_PLUGINS: unknown plugin(s) ${unknown.join(', ')} (known: ${IMPORT_PLUGINS.join(', ')})`,
      );
    }
    glance.image_import_opts.image_import_plugins = plugins;
  }
  const missing = missingAuthSettings(vars.GLINT_AUTH, glance.keystone_authtoken, glance.oidc);
  if (missing.length) throw new ConfigError(`GLINT_AUTH=${vars.GLINT_AUTH} needs ${missing.join('; ')}`);

  const listeners = vars.GLINT_MESH.split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => {
      try {
        return meshTransportOptions(u);
      } catch (err) {
        throw new ConfigError(`GLINT_MESH: ${redactUrl(u)}: ${(err as Error).message}`, { cause: err });
      }
    });

  const endpoints = parseGlanceDownloadEndpoints(vars.GLINT_GLANCE_DOWNLOAD_ENDPOINTS ?? '');
  if (
    glance.enabled_import_methods.includes('glance-download') &&
    vars.GLINT_AUTH !== 'keystone' &&
    !Object.keys(endpoints).length
  ) {
    throw new ConfigError(
      'enabled_import_methods lists glance-download: set GLINT_GLANCE_DOWNLOAD_ENDPOINTS (Region=URL,…), ' +
        'or use GLINT_AUTH=keystone so remote regions are found in the service catalog',
    );
  }

  const config: AppConfig = {
    port: vars.PORT,
    host: vars.HOST,
    dataDir,
    auth: vars.GLINT_AUTH,
    allowInsecureNoauth: vars.GLINT_ALLOW_INSECURE_NOAUTH,
    logLevel: vars.GLINT_LOG_LEVEL,
    maxBodyBytes: vars.GLINT_MAX_BODY_BYTES,
    verifyOnRead: vars.GLINT_VERIFY_ON_READ,
    database: {
      url: vars.DATABASE_URL,
      embeddedDir: resolve(dataDir, 'db'),
      migrate: vars.GLINT_DB_MIGRATE,
      poolSize: vars.GLINT_DB_POOL_SIZE,
      acquireTimeoutMs: vars.GLINT_DB_ACQUIRE_TIMEOUT_MS,
    },
    notify: { sinks, maxPending: vars.GLINT_NOTIFY_MAX_PENDING, retryMs: vars.GLINT_NOTIFY_RETRY_MS },
    tasks: {
      concurrency: vars.GLINT_TASK_CONCURRENCY,
      pollSeconds: vars.GLINT_TASK_POLL_SECONDS,
      heartbeatSeconds: vars.GLINT_TASK_HEARTBEAT_SECONDS,
      superviseSeconds: vars.GLINT_TASK_SUPERVISE_SECONDS,
      maxRuntimeSeconds: vars.GLINT_TASK_MAX_RUNTIME_SECONDS,
    },
    mesh: { listeners, prefix: vars.GLINT_MESH_PREFIX, token: vars.GLINT_MESH_TOKEN },
    stagingDir: vars.GLINT_STAGING_DIR ? resolve(cwd, vars.GLINT_STAGING_DIR) : undefined,
    glanceDownload: { endpoints },
    registry: registryConfig(vars),
    glance,
    qemuImg: vars.GLINT_QEMU_IMG,
    configFile,
    imageSchemaFile: findImageSchemaFile(vars.GLINT_SCHEMA_IMAGE_FILE, configFile, cwd),
  };
  assertSafeAuth(config);
  return config;
}

const NUMERIC_KEYWORDS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
];
const SCHEMA_TYPES = new Set(['null', 'boolean', 'integer', 'number', 'string', 'array', 'object']);

/**
 * Glance looks for schema-image.json in its configuration directory; Glint looks beside
 * GLINT_CONFIG, unless GLINT_SCHEMA_IMAGE_FILE names the file (which must then exist).
 */
function findImageSchemaFile(explicit: string | undefined, configFile: string | undefined, cwd: string) {
  if (explicit) return readImageSchemaFile(resolve(cwd, explicit), 'GLINT_SCHEMA_IMAGE_FILE');
  if (!configFile) return undefined;
  const beside = join(dirname(configFile), 'schema-image.json');
  return existsSync(beside)
    ? readImageSchemaFile(beside, 'schema-image.json beside GLINT_CONFIG')
    : undefined;
}

/**
 * Reads an operator's extra image properties: a JSON object mapping each property to its schema,
 * as Glance's file is. What Glance would only trip over at the first request (a broken pattern,
 * an unknown type) stops the start here, naming the file and the property.
 */
export function readImageSchemaFile(path: string, source: string): ImageSchemaFile {
  const fail = (why: string) => new ConfigError(`${source}: ${path}: ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(`cannot read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw fail('must be a JSON object mapping property names to their schemas');
  for (const [name, schema] of Object.entries(parsed)) {
    if (!isPlainObject(schema)) throw fail(`property '${name}' must map to a JSON schema object`);
    const types: unknown[] =
      schema.type === undefined
        ? []
        : Array.isArray(schema.type)
          ? (schema.type as unknown[])
          : [schema.type];
    const unknown = types.find((t) => typeof t !== 'string' || !SCHEMA_TYPES.has(t));
    if (unknown !== undefined)
      throw fail(`property '${name}' has an unknown type ${JSON.stringify(unknown)}`);
    if (schema.enum !== undefined && !Array.isArray(schema.enum))
      throw fail(`property '${name}': enum must be a list`);
    for (const keyword of NUMERIC_KEYWORDS)
      if (schema[keyword] !== undefined && typeof schema[keyword] !== 'number')
        throw fail(`property '${name}': ${keyword} must be a number`);
    if (schema.pattern !== undefined) {
      try {
        if (typeof schema.pattern !== 'string') throw new Error('not a string');
        new RegExp(schema.pattern, 'u');
      } catch (err) {
        throw fail(
          `property '${name}': pattern is not a usable regular expression: ${(err as Error).message}`,
        );
      }
    }
  }
  return { path, properties: parsed as ImageSchemaFile['properties'] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The environment's overrides of Glance options, applied before validation so that a bad value
 * is refused by the same rule as in the file.
 */
function withEnvOverrides(structured: unknown, vars: EnvironmentVariables): unknown {
  if (structured === null || structured === undefined) structured = {};
  if (!isPlainObject(structured)) return structured;
  const out: Record<string, unknown> = { ...structured };
  if (vars.GLINT_PUBLIC_ENDPOINT !== undefined) out.public_endpoint = vars.GLINT_PUBLIC_ENDPOINT;
  if (vars.GLINT_ENABLE_PROXY_HEADERS_PARSING !== undefined) {
    const section = isPlainObject(out.oslo_middleware) ? out.oslo_middleware : {};
    out.oslo_middleware = {
      ...section,
      enable_proxy_headers_parsing: vars.GLINT_ENABLE_PROXY_HEADERS_PARSING,
    };
  }
  return out;
}

/** `Region=URL` pairs, comma-separated; regions match case-insensitively, as Glance's catalog lookup. */
export function parseGlanceDownloadEndpoints(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const region = eq > 0 ? entry.slice(0, eq).trim() : '';
    const url = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!region || !/^https?:\/\/[^/]/.test(url)) {
      throw new ConfigError(
        `GLINT_GLANCE_DOWNLOAD_ENDPOINTS: ${JSON.stringify(entry)} is not Region=http(s)://host[:port][/path]`,
      );
    }
    out[region.toLowerCase()] = url.replace(/\/+$/, '');
  }
  return out;
}

function registryUrl(setting: string, raw: string): MeshTransportOptions {
  try {
    return registryTransportOptions(raw);
  } catch (err) {
    throw new ConfigError(`${setting}: ${redactUrl(raw)}: ${(err as Error).message}`, { cause: err });
  }
}

function registryConfig(vars: EnvironmentVariables): RegistryConfig {
  const base = {
    role: vars.GLINT_ROLE,
    prefix: vars.GLINT_REGISTRY_PREFIX,
    token: vars.GLINT_REGISTRY_TOKEN,
    timeoutMs: vars.GLINT_REGISTRY_TIMEOUT_MS,
  };
  if (vars.GLINT_ROLE === 'api') {
    if (!vars.GLINT_REGISTRY_URL)
      throw new ConfigError(
        'GLINT_ROLE=api keeps no database connection and needs GLINT_REGISTRY_URL, the address of a ' +
          'GLINT_ROLE=registry process (e.g. tcp://127.0.0.1:9191)',
      );
    if (vars.DATABASE_URL)
      throw new ConfigError(
        'GLINT_ROLE=api keeps no database connection: unset DATABASE_URL (the registry holds it)',
      );
    return {
      ...base,
      client: registryUrl('GLINT_REGISTRY_URL', vars.GLINT_REGISTRY_URL),
      address: redactUrl(vars.GLINT_REGISTRY_URL),
    };
  }
  if (vars.GLINT_ROLE === 'registry')
    return {
      ...base,
      listener: registryUrl('GLINT_REGISTRY_LISTEN', vars.GLINT_REGISTRY_LISTEN),
      address: redactUrl(vars.GLINT_REGISTRY_LISTEN),
    };
  return base;
}

function applyAuthOverrides(glance: GlanceOptions, vars: EnvironmentVariables): void {
  const ks = glance.keystone_authtoken;
  if (vars.GLINT_KEYSTONE_AUTH_URL) ks.auth_url = vars.GLINT_KEYSTONE_AUTH_URL;
  if (vars.GLINT_KEYSTONE_USERNAME) ks.username = vars.GLINT_KEYSTONE_USERNAME;
  if (vars.GLINT_KEYSTONE_PASSWORD) ks.password = vars.GLINT_KEYSTONE_PASSWORD;
  if (vars.GLINT_OIDC_ISSUER) glance.oidc.issuer = vars.GLINT_OIDC_ISSUER;
  if (vars.GLINT_OIDC_AUDIENCE)
    glance.oidc.audience = vars.GLINT_OIDC_AUDIENCE.split(',')
      .map((a) => a.trim())
      .filter(Boolean);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/i;

/** noauth makes every caller an admin, so it only listens on loopback unless the operator insists. */
function assertSafeAuth(config: AppConfig): void {
  if (config.auth === 'noauth' && !LOOPBACK.test(config.host) && !config.allowInsecureNoauth) {
    throw new ConfigError(
      `GLINT_AUTH=noauth makes every caller an admin; refusing to listen on HOST=${config.host}. ` +
        'Use GLINT_AUTH=trusted behind an authenticating proxy, or set GLINT_ALLOW_INSECURE_NOAUTH=true.',
    );
  }
}
