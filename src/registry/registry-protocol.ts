import { meshTransportOptions } from '../client/transport-url.js';
import type { MeshTransportOptions } from '../client/transport-url.js';

/**
 * The registry's wire contract (GLINT_ROLE=registry ↔ GLINT_ROLE=api): one message pattern per
 * repository operation, `<GLINT_REGISTRY_PREFIX>.<repository>.<operation>` (`glint.registry.images.list`).
 * It is a namespace of its own,
 * apart from the public mesh patterns (`<GLINT_MESH_PREFIX>.image.get`…): repository messages carry
 * no caller identity and skip policy, and service messages carry a caller the registry believes, so
 * they belong on a private network (and GLINT_REGISTRY_TOKEN).
 */

/**
 * The operations each repository port offers. Each one is a single statement (or a single
 * transaction) inside the registry, so compare-and-set, the import lock and the list's
 * membership clause keep their atomicity across the transport.
 */
export const REGISTRY_OPERATIONS = {
  images: [
    'findById',
    'idTaken',
    'insert',
    'saveChanges',
    'setProperties',
    'insertPropertyIfAbsent',
    'compareAndSetStatus',
    'touch',
    'addTag',
    'removeTag',
    'markDeleted',
    'markScrubbed',
    'list',
  ],
  members: ['list', 'find', 'countLive', 'add', 'setStatus', 'remove', 'removeAll'],
  locations: [
    'list',
    'listAll',
    'add',
    'setActive',
    'remove',
    'setStatus',
    'pendingDelete',
    'referencedElsewhere',
    'projectUsage',
  ],
  imageTasks: ['liveForImage'],
  health: ['ping'],
  // Service calls, not repository ones: their first argument is the caller (caller-context.ts),
  // and the registry runs the service with its policy checks, as GLINT_ROLE=all would.
  // Each operation is the service method of that name (TasksApi, ImportApi, the metadef services).
  tasks: ['create', 'get', 'list'],
  import: ['start'],
  metadefNamespaces: ['list', 'create', 'show', 'update', 'remove', 'removeContents'],
  metadefObjects: ['list', 'create', 'show', 'update', 'remove'],
  metadefProperties: ['list', 'create', 'show', 'update', 'remove'],
  metadefTags: ['list', 'createOne', 'createMany', 'show', 'update', 'remove'],
  metadefResourceTypes: ['listAll', 'listForNamespace', 'create', 'remove'],
} as const;

export type RegistryRepository = keyof typeof REGISTRY_OPERATIONS;

export function registryPattern(prefix: string, repository: RegistryRepository, operation: string): string {
  return `${prefix}.${repository}.${operation}`;
}

/** A request: the operation's arguments (encoded by registry-codec) and the shared token. */
export interface RegistryRequest {
  args: unknown[];
  token?: string;
}

/** What a refused or failed operation replies; `code` names the error class (registry-codec). */
export interface RegistryErrorBody {
  code: string;
  message: string;
  detail?: boolean;
  /** PolicyDeniedError: the rule that refused. */
  rule?: string;
}

/** Every reply is an envelope, so that errors cross every transport the same way. */
export type RegistryReply = { ok: unknown } | { error: RegistryErrorBody };

/** The queue (NATS queue group, RabbitMQ queue) registry processes share unless the URL names one. */
export const DEFAULT_REGISTRY_QUEUE = 'glint-registry';

/**
 * A registry URL as transport options: the mesh's URL forms (src/client/transport-url.ts), with
 * a queue of its own by default so that a broker never hands registry messages to a mesh listener.
 */
export function registryTransportOptions(raw: string): MeshTransportOptions {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url && ['nats:', 'amqp:', 'amqps:'].includes(url.protocol) && !url.searchParams.has('queue')) {
    url.searchParams.set('queue', DEFAULT_REGISTRY_QUEUE);
    return meshTransportOptions(url.toString());
  }
  return meshTransportOptions(raw);
}

/** The registry patterns that are service calls: the caller first, then the method's arguments. */
export const SERVICE_CALLS: ReadonlySet<RegistryRepository> = new Set<RegistryRepository>([
  'tasks',
  'import',
  'metadefNamespaces',
  'metadefObjects',
  'metadefProperties',
  'metadefTags',
  'metadefResourceTypes',
]);
