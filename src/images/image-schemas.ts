import { ConfigError } from '../config/app-config.js';
import type { AppConfig } from '../config/app-config.js';
import { compileSchema } from './json-schema.js';
import type { JsonSchema } from './json-schema.js';
import { IMAGE_STATUSES } from './image.entity.js';
import { TASK_TYPES } from '../tasks/task.entity.js';

/**
 * The JSON schemas Glance publishes under /v2/schemas. Clients (glanceclient through warlock)
 * validate images against them and build their command-line options from them, so the structure
 * (keys, types, enums, patterns, lengths, readOnly marks) is Glance's; the descriptions are ours.
 * Built once at start from the configuration: the format enums follow `image_format`, and the
 * extra properties come from the operator's schema-image.json when there is one.
 */

export const UUID_PATTERN =
  '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

const nullableString = ['null', 'string'];

function imageBaseProperties(config: AppConfig): Record<string, JsonSchema> {
  const { disk_formats, container_formats } = config.glance.image_format;
  return {
    id: { type: 'string', description: 'Unique identifier (UUID) of the image', pattern: UUID_PATTERN },
    name: { type: nullableString, description: 'Human-readable name of the image', maxLength: 255 },
    status: {
      type: 'string',
      readOnly: true,
      description: 'Lifecycle state of the image',
      enum: [...IMAGE_STATUSES],
    },
    visibility: {
      type: 'string',
      description: 'Who may see the image',
      enum: ['community', 'public', 'private', 'shared'],
    },
    protected: { type: 'boolean', description: 'When true, the image cannot be deleted.' },
    os_hidden: { type: 'boolean', description: 'When true, the image is left out of default image lists.' },
    checksum: {
      type: nullableString,
      readOnly: true,
      description: 'MD5 digest of the image data.',
      maxLength: 32,
    },
    os_hash_algo: {
      type: nullableString,
      readOnly: true,
      description: 'Hash algorithm used to compute os_hash_value',
      maxLength: 64,
    },
    os_hash_value: {
      type: nullableString,
      readOnly: true,
      description: 'Hex digest of the image data computed with os_hash_algo',
      maxLength: 128,
    },
    owner: { type: nullableString, description: 'Project that owns the image', maxLength: 255 },
    size: { type: ['null', 'integer'], readOnly: true, description: 'Size of the image data in bytes' },
    virtual_size: {
      type: ['null', 'integer'],
      readOnly: true,
      description: 'Size of the virtual disk in bytes',
    },
    container_format: {
      type: nullableString,
      description: 'Container format of the image data',
      enum: [null, ...container_formats],
    },
    disk_format: {
      type: nullableString,
      description: 'Disk format of the image data',
      enum: [null, ...disk_formats],
    },
    created_at: { type: 'string', readOnly: true, description: 'When the image was registered' },
    updated_at: { type: 'string', readOnly: true, description: 'When the image was last changed' },
    tags: {
      type: 'array',
      description: 'Free-form labels attached to the image',
      items: { type: 'string', maxLength: 255 },
    },
    direct_url: {
      type: 'string',
      readOnly: true,
      description: 'Location of the image data in an external store',
    },
    min_ram: { type: 'integer', description: 'Memory (MB) an instance needs to boot the image.' },
    min_disk: { type: 'integer', description: 'Disk space (GB) an instance needs to boot the image.' },
    self: { type: 'string', readOnly: true, description: 'Path of this image' },
    file: { type: 'string', readOnly: true, description: 'Path of the image data' },
    stores: {
      type: 'string',
      readOnly: true,
      description:
        'Comma-separated identifiers of the stores holding the image data; present only when several stores are configured.',
    },
    schema: { type: 'string', readOnly: true, description: 'Path of the schema describing this image' },
    locations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          url: { type: 'string', maxLength: 255 },
          metadata: { type: 'object' },
          validation_data: {
            description:
              'Values copied into the image on the first location; on an image that already has data they must equal what it has.',
            type: 'object',
            writeOnly: true,
            additionalProperties: false,
            properties: {
              checksum: { type: 'string', minLength: 32, maxLength: 32 },
              os_hash_algo: { type: 'string', maxLength: 64 },
              os_hash_value: { type: 'string', maxLength: 128 },
            },
            required: ['os_hash_algo', 'os_hash_value'],
          },
        },
        required: ['url', 'metadata'],
      },
      description: 'URLs of the image data in external stores',
    },
  };
}

/**
 * The well-known additional properties (Glance ships them in its schema-image.json). They are
 * validated like base properties when present, but are stored as additional properties.
 */
export const STOCK_EXTRA_PROPERTIES: Record<string, JsonSchema> = {
  kernel_id: {
    type: nullableString,
    pattern: UUID_PATTERN,
    description: 'Image to use as the kernel when booting this AMI-style image.',
    is_base: false,
  },
  ramdisk_id: {
    type: nullableString,
    pattern: UUID_PATTERN,
    description: 'Image to use as the ramdisk when booting this AMI-style image.',
    is_base: false,
  },
  instance_uuid: {
    type: 'string',
    description: 'Instance this image was taken from; a record only, nothing acts on it.',
    is_base: false,
  },
  architecture: {
    description: 'CPU architecture the image runs on, e.g. x86_64 or aarch64.',
    type: 'string',
    is_base: false,
  },
  os_distro: {
    description: 'Operating system distribution, as a short lower-case name such as ubuntu or fedora.',
    type: 'string',
    is_base: false,
  },
  os_version: {
    description: 'Version of the operating system distribution.',
    type: 'string',
    is_base: false,
  },
  description: { description: 'Free text about the image.', type: 'string', is_base: false },
  cinder_encryption_key_id: {
    description:
      'Key-manager identifier of the key the block storage service uses for volumes made from this image',
    type: 'string',
    is_base: false,
  },
  cinder_encryption_key_deletion_policy: {
    description:
      "Whether deleting the image also deletes the key named by 'cinder_encryption_key_id'; without it nothing is done with the key",
    type: 'string',
    enum: ['on_image_deletion', 'do_not_delete'],
    is_base: false,
  },
};

const MEMBER_PROPERTIES: Record<string, JsonSchema> = {
  member_id: { type: 'string', description: 'Project the image is shared with' },
  image_id: { type: 'string', description: 'Identifier of the shared image', pattern: UUID_PATTERN },
  created_at: { type: 'string', description: 'When the membership was created' },
  updated_at: { type: 'string', description: 'When the membership was last changed' },
  status: {
    type: 'string',
    description: "The member project's answer to the share",
    enum: ['pending', 'accepted', 'rejected'],
  },
  schema: { readOnly: true, type: 'string' },
};

function taskProperties(forList: boolean): Record<string, JsonSchema> {
  const all: Record<string, JsonSchema> = {
    id: { description: 'Unique identifier (UUID) of the task', pattern: UUID_PATTERN, type: 'string' },
    type: { description: 'Kind of work the task does', enum: [...TASK_TYPES], type: 'string' },
    status: {
      description: 'Where the task is in its lifecycle',
      enum: ['pending', 'processing', 'success', 'failure'],
      type: 'string',
    },
    input: { description: 'Parameters the task was given (JSON object)', type: ['null', 'object'] },
    result: { description: 'What the task produced (JSON object)', type: ['null', 'object'] },
    owner: { description: 'Project that owns the task', type: 'string' },
    message: { description: 'Human-readable note, usually why the task failed', type: 'string' },
    image_id: { description: 'Image the task works on', type: 'string' },
    request_id: { description: 'Request that created the task', type: 'string' },
    user_id: { description: 'User who created the task', type: 'string' },
    expires_at: { description: 'When the finished task will be removed', type: ['null', 'string'] },
    created_at: { description: 'When the task was created', type: 'string' },
    updated_at: { description: 'When the task was last changed', type: 'string' },
    self: { readOnly: true, type: 'string' },
    schema: { readOnly: true, type: 'string' },
  };
  if (forList) {
    delete all.input;
    delete all.result;
    delete all.message;
  }
  return all;
}

/** The task schema as `GET /v2/schemas/task` serves it. */
export function taskSchema(): JsonSchema {
  return { name: 'task', properties: taskProperties(false) };
}

export interface SchemaDocuments {
  image: JsonSchema;
  images: JsonSchema;
  member: JsonSchema;
  members: JsonSchema;
  task: JsonSchema;
  tasks: JsonSchema;
}

/**
 * The operator's properties as Glance merges them: each one marked `is_base: false` (in place, so
 * a property's keys keep the file's order), and none may reuse a base property's name.
 */
function extraProperties(config: AppConfig, base: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const file = config.imageSchemaFile;
  if (!file) return STOCK_EXTRA_PROPERTIES;
  const clashes = Object.keys(file.properties).filter((name) => Object.hasOwn(base, name));
  if (clashes.length)
    throw new ConfigError(
      `${file.path}: custom properties (${clashes.join(', ')}) conflict with base properties`,
    );
  return Object.fromEntries(
    Object.entries(file.properties).map(([name, schema]) => [name, { ...schema, is_base: false }]),
  );
}

export function buildSchemas(config: AppConfig): SchemaDocuments {
  const base = imageBaseProperties(config);
  const image: JsonSchema = {
    name: 'image',
    properties: { ...base, ...extraProperties(config, base) },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
  const images: JsonSchema = {
    name: 'images',
    properties: {
      images: { type: 'array', items: image },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
  const member: JsonSchema = { name: 'member', properties: MEMBER_PROPERTIES };
  const members: JsonSchema = {
    name: 'members',
    properties: { members: { type: 'array', items: member }, schema: { type: 'string' } },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
  const task = taskSchema();
  const tasks: JsonSchema = {
    name: 'tasks',
    properties: {
      tasks: { type: 'array', items: { name: 'task', properties: taskProperties(true) } },
      schema: { type: 'string' },
    },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
  return { image, images, member, members, task, tasks };
}

/**
 * The schemas as built at start, their serialized forms (served as they are), and the image
 * validator compiled from the same document clients see.
 */
export class ImageSchemaRegistry {
  readonly documents: SchemaDocuments;
  readonly serialized: Record<keyof SchemaDocuments, string>;
  private readonly validateImage: (value: unknown) => string | null;

  constructor(config: AppConfig) {
    this.documents = buildSchemas(config);
    this.serialized = Object.fromEntries(
      Object.entries(this.documents).map(([k, v]) => [k, JSON.stringify(v)]),
    ) as Record<keyof SchemaDocuments, string>;
    this.validateImage = compileSchema(this.documents.image);
  }

  /** Glance's first validation error for an image body, or null when it is valid. */
  imageError(value: unknown): string | null {
    const error = this.validateImage(value);
    return error === null ? null : `Provided object does not match schema 'image': ${error}`;
  }
}
