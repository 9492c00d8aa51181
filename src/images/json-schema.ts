import { firstSchemaError } from '../common/schema/json-schema-check.js';
import type { Schema } from '../common/schema/json-schema-check.js';
import type { Json } from '../common/schema/python-format.js';

/** The JSON-schema subset Glance's image, member and task schemas use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  [key: string]: unknown;
}

/**
 * A checker whose error is python-jsonschema's text for the error its best_match picks, which is
 * what Glance puts in its 400s: the message, then the failing keyword's schema and the instance.
 */
export function compileSchema(schema: JsonSchema): (value: unknown) => string | null {
  const root = schema as Schema;
  return (value) => firstSchemaError(root, value as Json) ?? null;
}
