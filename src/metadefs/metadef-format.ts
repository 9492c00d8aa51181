import type {
  MetadefNamespaceEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefResourceTypeEntity,
  MetadefTagEntity,
} from './entities/index.js';
import type { AssociationRow } from './metadefs.repository.js';
import { pyRepr } from '../common/schema/python-format.js';
import type { Json } from '../common/schema/python-format.js';

/**
 * How metadef records look on the wire and in notifications. Glance renders them through WSME
 * models, which fix the key order, drop keys that are unknown to the model and coerce a few
 * values (a property's `default` becomes a string, `minimum` an integer); clients see those
 * forms, so we produce the same ones.
 */

export type JsonObject = { [key: string]: Json };

/** `YYYY-MM-DDTHH:MM:SSZ`, Glance's isotime. */
export function isoTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function namespaceHref(name: string): string {
  return `/v2/metadefs/namespaces/${name}`;
}

export function objectHref(namespace: string, name: string): string {
  return `/v2/metadefs/namespaces/${namespace}/objects/${name}`;
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function toInt(v: Json | undefined): Json | undefined {
  if (typeof v === 'number') return Math.trunc(v);
  return v;
}

/** WSME's "bytes" field: scalars become their Python str(), containers cannot and become null. */
function toText(v: Json | undefined): Json | undefined {
  if (v === undefined || v === null || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyRepr(v);
  return null;
}

/** The fields of Glance's PropertyType model, in its order, each with its coercion. */
const PROPERTY_FIELDS: Array<[string, (v: Json | undefined) => Json | undefined]> = [
  ['name', (v) => v],
  ['type', (v) => v],
  ['title', (v) => v],
  ['description', (v) => v],
  ['operators', (v) => v],
  ['default', toText],
  ['readonly', (v) => v],
  ['minimum', toInt],
  ['maximum', toInt],
  ['enum', (v) => v],
  ['pattern', (v) => v],
  ['minLength', toInt],
  ['maxLength', toInt],
  ['confidential', (v) => v],
  ['items', (v) => (isObject(v) ? itemType(v) : v)],
  ['uniqueItems', (v) => v],
  ['minItems', toInt],
  ['maxItems', toInt],
  ['additionalItems', (v) => v],
];

function itemType(items: JsonObject): JsonObject {
  const out: JsonObject = {};
  if ('type' in items) out.type = items.type;
  if ('enum' in items) out.enum = items.enum;
  return out;
}

/** A property definition as Glance's model keeps it: known fields only, in model order. */
export function propertyType(raw: JsonObject, name?: string): JsonObject {
  const out: JsonObject = {};
  for (const [field, coerce] of PROPERTY_FIELDS) {
    if (field === 'name' && name !== undefined) {
      out.name = name;
      continue;
    }
    if (!(field in raw)) continue;
    const value = coerce(raw[field]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function propertyMap(raw: Json | undefined): JsonObject {
  const out: JsonObject = {};
  if (!isObject(raw)) return out;
  for (const [name, def] of Object.entries(raw)) out[name] = propertyType(isObject(def) ? def : {});
  return out;
}

export function parseJson(text: string | null): Json | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

export function storedProperty(p: MetadefPropertyEntity): JsonObject {
  const raw = parseJson(p.jsonSchema);
  return isObject(raw) ? raw : {};
}

export function storedRequired(o: MetadefObjectEntity): string[] | undefined {
  const raw = parseJson(o.required);
  return Array.isArray(raw) ? (raw as string[]) : undefined;
}

// ---- namespaces

export function namespaceBase(ns: MetadefNamespaceEntity): JsonObject {
  const out: JsonObject = { namespace: ns.namespace };
  if (ns.displayName !== null) out.display_name = ns.displayName;
  if (ns.description !== null) out.description = ns.description;
  out.visibility = ns.visibility;
  out.protected = ns.protected;
  if (ns.owner !== null) out.owner = ns.owner;
  out.created_at = isoTime(ns.createdAt);
  out.updated_at = isoTime(ns.updatedAt);
  return out;
}

export function namespaceLinks(ns: MetadefNamespaceEntity): JsonObject {
  return { self: namespaceHref(ns.namespace), schema: '/v2/schemas/metadefs/namespace' };
}

export function association(row: AssociationRow): JsonObject {
  const out: JsonObject = { name: row.name };
  if (row.association.prefix !== null) out.prefix = row.association.prefix;
  if (row.association.propertiesTarget !== null) out.properties_target = row.association.propertiesTarget;
  out.created_at = isoTime(row.association.createdAt);
  out.updated_at = isoTime(row.association.updatedAt);
  return out;
}

// ---- objects

/** An object read back from the database: `required` and `properties` always present. */
export function storedObject(namespace: string, o: MetadefObjectEntity, prefix = ''): JsonObject {
  const out: JsonObject = { name: o.name };
  out.required = (storedRequired(o) ?? []).map((r) => prefix + r);
  if (o.description !== null) out.description = o.description;
  const props = propertyMap(parseJson(o.jsonSchema));
  out.properties = prefix
    ? Object.fromEntries(Object.entries(props).map(([k, v]) => [prefix + k, v]))
    : props;
  out.created_at = isoTime(o.createdAt);
  out.updated_at = isoTime(o.updatedAt);
  out.self = objectHref(namespace, o.name);
  out.schema = '/v2/schemas/metadefs/object';
  return out;
}

/** An object as a create or update answers: only the fields the client sent. */
export function writtenObject(namespace: string, o: MetadefObjectEntity, sent: JsonObject): JsonObject {
  const out: JsonObject = { name: o.name };
  if ('required' in sent) out.required = storedRequired(o) ?? [];
  if ('description' in sent && o.description !== null) out.description = o.description;
  if ('properties' in sent) out.properties = propertyMap(parseJson(o.jsonSchema));
  out.created_at = isoTime(o.createdAt);
  out.updated_at = isoTime(o.updatedAt);
  out.self = objectHref(namespace, o.name);
  out.schema = '/v2/schemas/metadefs/object';
  return out;
}

// ---- tags and resource types

export function tagWithDates(t: MetadefTagEntity): JsonObject {
  return { name: t.name, created_at: isoTime(t.createdAt), updated_at: isoTime(t.updatedAt) };
}

export function resourceType(rt: MetadefResourceTypeEntity): JsonObject {
  return { name: rt.name, created_at: isoTime(rt.createdAt), updated_at: isoTime(rt.updatedAt) };
}

// ---- notification payloads (Glance's notifier formats)

function deletion(deleted: boolean): JsonObject {
  return { deleted, deleted_at: deleted ? isoTime(new Date()) : null };
}

export function namespacePayload(ns: MetadefNamespaceEntity, oldName?: string, deleted = false): JsonObject {
  return {
    namespace: ns.namespace,
    namespace_old: oldName ?? ns.namespace,
    display_name: ns.displayName,
    protected: ns.protected,
    visibility: ns.visibility,
    owner: ns.owner,
    description: ns.description,
    created_at: isoTime(ns.createdAt),
    updated_at: isoTime(ns.updatedAt),
    ...deletion(deleted),
  };
}

function orNone(v: Json | undefined): Json {
  // Glance writes `value or None`: every falsy value is reported as null.
  if (v === undefined || v === null || v === false || v === 0 || v === '') return null;
  if (Array.isArray(v) && !v.length) return null;
  if (isObject(v) && !Object.keys(v).length) return null;
  return v;
}

const OBJECT_PROPERTY_KEYS = [
  'type',
  'title',
  'description',
  'default',
  'minimum',
  'maximum',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'confidential',
  'items',
  'uniqueItems',
  'minItems',
  'maxItems',
  'additionalItems',
];

export function objectPayload(
  namespace: string,
  o: MetadefObjectEntity,
  oldName?: string,
  deleted = false,
): JsonObject {
  const props = propertyMap(parseJson(o.jsonSchema));
  return {
    namespace,
    name: o.name,
    name_old: oldName ?? o.name,
    properties: Object.entries(props).map(([name, p]) => ({
      name,
      ...Object.fromEntries(OBJECT_PROPERTY_KEYS.map((k) => [k, orNone((p as JsonObject)[k])])),
    })),
    required: storedRequired(o) ?? null,
    description: o.description,
    created_at: isoTime(o.createdAt),
    updated_at: isoTime(o.updatedAt),
    ...deletion(deleted),
  };
}

export function propertyPayload(
  namespace: string,
  p: MetadefPropertyEntity,
  oldName?: string,
  deleted = false,
): JsonObject {
  const schema = storedProperty(p);
  const get = (k: string): Json => (k in schema ? schema[k] : null);
  return {
    namespace,
    name: p.name,
    name_old: oldName ?? p.name,
    ...Object.fromEntries(OBJECT_PROPERTY_KEYS.map((k) => [k, get(k)])),
    ...deletion(deleted),
  };
}

export function associationPayload(namespace: string, row: AssociationRow, deleted = false): JsonObject {
  return {
    namespace,
    name: row.name,
    name_old: row.name,
    prefix: row.association.prefix,
    properties_target: row.association.propertiesTarget,
    created_at: isoTime(row.association.createdAt),
    updated_at: isoTime(row.association.updatedAt),
    ...deletion(deleted),
  };
}

export function tagPayload(
  namespace: string,
  t: MetadefTagEntity,
  oldName?: string,
  deleted = false,
): JsonObject {
  return {
    namespace,
    name: t.name,
    name_old: oldName ?? t.name,
    created_at: isoTime(t.createdAt),
    updated_at: isoTime(t.updatedAt),
    ...deletion(deleted),
  };
}
