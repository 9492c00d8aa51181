import { pformat, pyRepr } from './python-format.js';
import type { Json } from './python-format.js';

/**
 * Checks a request body against one of Glance's metadef schemas with python-jsonschema's rules
 * (the keywords those schemas use) and reports the error it would pick: the shallowest one, the
 * first found at that depth, in the library's own words. Formats are not checked, as Glance does
 * not pass a format checker (`"pattern": "("` is accepted).
 */

export type Schema = { [key: string]: Json };

interface SchemaError {
  message: string;
  validator: string;
  /** Schema keys from the validated root to the failing keyword's schema. */
  schemaPath: Array<string | number>;
  /** Instance keys from the root to the failing value. */
  path: Array<string | number>;
  schema: Schema;
  instance: Json;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeMatches(value: Json, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return true;
  }
}

function jsonEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolve(root: Schema, ref: string): Schema {
  let node: Json = root;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = isObject(node) ? node[part] : null;
  }
  return isObject(node) ? node : {};
}

const REGEXES = new Map<string, RegExp>();

/** python-jsonschema applies `pattern` with re.search: unanchored, as RegExp.test is. */
function regex(source: string): RegExp {
  let re = REGEXES.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    REGEXES.set(source, re);
  }
  return re;
}

/** Python's check: a zero remainder for an integer divisor, an integral quotient for a float one. */
function isMultiple(instance: number, divisor: number): boolean {
  if (Number.isInteger(divisor)) return instance % divisor === 0;
  const quotient = instance / divisor;
  return Number.isFinite(quotient) && Number.isInteger(quotient);
}

function* iterErrors(
  root: Schema,
  schema: Schema,
  instance: Json,
  path: Array<string | number>,
  schemaPath: Array<string | number>,
): Generator<SchemaError> {
  const error = (validator: string, message: string): SchemaError => ({
    message,
    validator,
    schemaPath: [...schemaPath, validator],
    path,
    schema,
    instance,
  });
  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case '$ref':
        yield* iterErrors(root, resolve(root, value as string), instance, path, schemaPath);
        break;
      case 'type': {
        const types = Array.isArray(value) ? (value as string[]) : [value as string];
        if (!types.some((t) => typeMatches(instance, t)))
          yield error('type', `${pyRepr(instance)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`);
        break;
      }
      case 'enum':
        if (!(value as Json[]).some((e) => jsonEqual(e, instance)))
          yield error('enum', `${pyRepr(instance)} is not one of ${pyRepr(value, false)}`);
        break;
      case 'maxLength':
        if (typeof instance === 'string' && [...instance].length > (value as number))
          yield error('maxLength', `${pyRepr(instance)} is too long`);
        break;
      case 'minLength':
        if (typeof instance === 'string' && [...instance].length < (value as number))
          yield error('minLength', `${pyRepr(instance)} is too short`);
        break;
      case 'minimum':
        if (typeof instance === 'number' && instance < (value as number))
          yield error('minimum', `${pyRepr(instance)} is less than the minimum of ${pyRepr(value)}`);
        break;
      case 'maximum':
        if (typeof instance === 'number' && instance > (value as number))
          yield error('maximum', `${pyRepr(instance)} is greater than the maximum of ${pyRepr(value)}`);
        break;
      case 'exclusiveMinimum':
        if (typeof instance === 'number' && instance <= (value as number))
          yield error(
            'exclusiveMinimum',
            `${pyRepr(instance)} is less than or equal to the minimum of ${pyRepr(value)}`,
          );
        break;
      case 'exclusiveMaximum':
        if (typeof instance === 'number' && instance >= (value as number))
          yield error(
            'exclusiveMaximum',
            `${pyRepr(instance)} is greater than or equal to the maximum of ${pyRepr(value)}`,
          );
        break;
      case 'multipleOf':
        if (typeof instance === 'number' && !isMultiple(instance, value as number))
          yield error('multipleOf', `${pyRepr(instance)} is not a multiple of ${pyRepr(value)}`);
        break;
      case 'pattern':
        if (typeof instance === 'string' && !regex(value as string).test(instance))
          yield error('pattern', `${pyRepr(instance)} does not match ${pyRepr(value)}`);
        break;
      case 'maxItems':
        if (Array.isArray(instance) && instance.length > (value as number))
          yield error('maxItems', `${pyRepr(instance)} is too long`);
        break;
      case 'minItems':
        if (Array.isArray(instance) && instance.length < (value as number))
          yield error('minItems', `${pyRepr(instance)} is too short`);
        break;
      case 'uniqueItems':
        if (value === true && Array.isArray(instance)) {
          const seen = new Set(instance.map((v) => JSON.stringify(v)));
          if (seen.size !== instance.length)
            yield error('uniqueItems', `${pyRepr(instance)} has non-unique elements`);
        }
        break;
      case 'required':
        if (isObject(instance)) {
          for (const name of value as string[]) {
            if (!(name in instance)) yield error('required', `${pyRepr(name)} is a required property`);
          }
        }
        break;
      case 'properties':
        if (isObject(instance) && isObject(value)) {
          for (const [name, sub] of Object.entries(value)) {
            if (name in instance && isObject(sub))
              yield* iterErrors(
                root,
                sub,
                instance[name],
                [...path, name],
                [...schemaPath, 'properties', name],
              );
          }
        }
        break;
      case 'additionalProperties':
        if (isObject(instance)) {
          const declared = isObject(schema.properties) ? schema.properties : {};
          const extras = Object.keys(instance).filter((k) => !(k in declared));
          if (value === false && extras.length) {
            const names = extras.map((e) => pyRepr(e)).join(', ');
            yield error(
              'additionalProperties',
              `Additional properties are not allowed (${names} ${extras.length === 1 ? 'was' : 'were'} unexpected)`,
            );
          } else if (isObject(value)) {
            for (const extra of extras)
              yield* iterErrors(
                root,
                value,
                instance[extra],
                [...path, extra],
                [...schemaPath, 'additionalProperties'],
              );
          }
        }
        break;
      case 'items':
        if (Array.isArray(instance) && isObject(value)) {
          for (let i = 0; i < instance.length; i++)
            yield* iterErrors(root, value, instance[i], [...path, i], [...schemaPath, 'items']);
        }
        break;
      case 'allOf':
        for (let i = 0; i < (value as Json[]).length; i++) {
          const sub = (value as Json[])[i];
          if (isObject(sub)) yield* iterErrors(root, sub, instance, path, [...schemaPath, 'allOf', i]);
        }
        break;
      default:
        break;
    }
  }
}

function formatIndex(container: string, indices: Array<string | number>): string {
  return indices.length ? `${container}[${indices.map((i) => pyRepr(i)).join('][')}]` : container;
}

function indentBlock(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** python-jsonschema's str(ValidationError). */
function describe(e: SchemaError): string {
  return (
    `${e.message}\n\n` +
    `Failed validating ${pyRepr(e.validator)} in ${formatIndex('schema', e.schemaPath.slice(0, -1))}:\n` +
    `${indentBlock(pformat(e.schema, 72))}\n\n` +
    `On ${formatIndex('instance', e.path)}:\n` +
    indentBlock(pformat(e.instance, 72))
  );
}

/** The error python-jsonschema's best_match would report, or undefined when the instance is valid. */
export function firstSchemaError(schema: Schema, instance: Json): string | undefined {
  let best: SchemaError | undefined;
  for (const e of iterErrors(schema, schema, instance, [], [])) {
    if (!best || e.path.length < best.path.length) best = e;
  }
  return best ? describe(best) : undefined;
}
