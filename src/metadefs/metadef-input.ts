import { ForbiddenError, InvalidError } from '../common/errors/domain-errors.js';
import { firstSchemaError } from '../common/schema/json-schema-check.js';
import type { Schema } from '../common/schema/json-schema-check.js';
import type { Json } from '../common/schema/python-format.js';
import type { JsonObject } from './metadef-format.js';

/** Checks shared by every metadef body, in the order Glance's deserializers apply them. */

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];
const FOUR_BYTE = /[\u{10000}-\u{10FFFF}]/u;

/** Body present, no read-only attribute, valid against `schema` (named as Glance names it). */
export function checkBody(body: unknown, schema: Schema, readOnly = READ_ONLY): JsonObject {
  if (body === undefined || body === null) throw new InvalidError('Body expected in request.');
  if (typeof body === 'object' && !Array.isArray(body)) {
    for (const key of readOnly) {
      if (key in body) throw new ForbiddenError(`Attribute '${key}' is read-only.`);
    }
  }
  const error = firstSchemaError(schema, body as Json);
  if (error)
    throw new InvalidError(`Provided object does not match schema '${schema.name as string}': ${error}`);
  if (typeof body !== 'object' || Array.isArray(body)) {
    // Only a schema without a type could let a list through; Glance then fails with a 500.
    throw new InvalidError('Unexpected body type. Expected dict.');
  }
  return body as JsonObject;
}

/** Python's str.title(), which Glance applies to the field name in its 4-byte message. */
function pyTitle(key: string): string {
  return key
    .toLowerCase()
    .replace(/(^|[^a-z])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/**
 * Glance's database layer refuses 4-byte UTF-8 characters (MySQL's utf8 cannot hold them); the
 * API reports it as `Couldn't <action>: <Field> can't contain 4 byte unicode characters.`
 */
export function checkNo4ByteChars(action: string, fields: Record<string, string | null | undefined>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (FOUR_BYTE.test(key))
      throw new InvalidError(`Couldn't ${action}: Property names can't contain 4 byte unicode.`);
    if (typeof value === 'string' && FOUR_BYTE.test(value))
      throw new InvalidError(`Couldn't ${action}: ${pyTitle(key)} can't contain 4 byte unicode characters.`);
  }
}

export function optionalString(v: Json | undefined): string | null {
  return typeof v === 'string' ? v : null;
}
