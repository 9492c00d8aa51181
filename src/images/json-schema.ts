import { pyRepr } from './python-repr.js';

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

interface Failure {
  depth: number;
  message: string;
}

type Check = (value: unknown, depth: number, out: Failure[]) => void;

const TYPE_TEST: Record<string, (v: unknown) => boolean> = {
  null: (v) => v === null,
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * Compiles a schema once into a checker whose first error reads like the Python jsonschema
 * library's (which Glance uses): the shallowest failure wins, first in schema order.
 */
export function compileSchema(schema: JsonSchema): (value: unknown) => string | null {
  const check = compile(schema);
  return (value) => {
    const failures: Failure[] = [];
    check(value, 0, failures);
    if (!failures.length) return null;
    let best = failures[0];
    for (const f of failures) if (f.depth < best.depth) best = f;
    return best.message;
  };
}

function compile(schema: JsonSchema): Check {
  const checks: Check[] = [];
  for (const key of Object.keys(schema)) {
    switch (key) {
      case 'type': {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type!];
        const tests = types.map((t) => TYPE_TEST[t] ?? (() => true));
        const named = types.map((t) => pyRepr(t)).join(', ');
        checks.push((v, d, out) => {
          if (!tests.some((t) => t(v)))
            out.push({ depth: d, message: `${pyRepr(v)} is not of type ${named}` });
        });
        break;
      }
      case 'enum': {
        const allowed = schema.enum!;
        const listed = pyRepr(allowed);
        checks.push((v, d, out) => {
          if (!allowed.some((a) => sameValue(a, v)))
            out.push({ depth: d, message: `${pyRepr(v)} is not one of ${listed}` });
        });
        break;
      }
      case 'pattern': {
        const re = new RegExp(schema.pattern!, 'u');
        const shown = pyRepr(schema.pattern);
        checks.push((v, d, out) => {
          if (typeof v === 'string' && !re.test(v))
            out.push({ depth: d, message: `${pyRepr(v)} does not match ${shown}` });
        });
        break;
      }
      case 'maxLength': {
        const max = schema.maxLength!;
        checks.push((v, d, out) => {
          if (typeof v === 'string' && v.length > max && codePoints(v) > max)
            out.push({ depth: d, message: `${pyRepr(v)} is too long` });
        });
        break;
      }
      case 'minLength': {
        const min = schema.minLength!;
        checks.push((v, d, out) => {
          if (typeof v === 'string' && codePoints(v) < min)
            out.push({ depth: d, message: `${pyRepr(v)} is too short` });
        });
        break;
      }
      case 'items': {
        const item = compile(schema.items!);
        checks.push((v, d, out) => {
          if (Array.isArray(v)) for (const x of v) item(x, d + 1, out);
        });
        break;
      }
      case 'properties': {
        const props = Object.entries(schema.properties!).map(([name, s]) => [name, compile(s)] as const);
        checks.push((v, d, out) => {
          if (!TYPE_TEST.object(v)) return;
          const obj = v as Record<string, unknown>;
          for (const [name, c] of props) if (Object.hasOwn(obj, name)) c(obj[name], d + 1, out);
        });
        break;
      }
      case 'additionalProperties': {
        const extra = schema.additionalProperties!;
        const known = new Set(Object.keys(schema.properties ?? {}));
        const c = typeof extra === 'object' ? compile(extra) : null;
        checks.push((v, d, out) => {
          if (!TYPE_TEST.object(v)) return;
          const extras = Object.keys(v as object).filter((k) => !known.has(k));
          if (extra === false && extras.length) {
            const verb = extras.length === 1 ? 'was' : 'were';
            out.push({
              depth: d,
              message: `Additional properties are not allowed (${extras.map((k) => pyRepr(k)).join(', ')} ${verb} unexpected)`,
            });
          } else if (c) {
            for (const k of extras) c((v as Record<string, unknown>)[k], d + 1, out);
          }
        });
        break;
      }
      case 'required': {
        const names = schema.required!;
        checks.push((v, d, out) => {
          if (!TYPE_TEST.object(v)) return;
          for (const n of names)
            if (!Object.hasOwn(v as object, n))
              out.push({ depth: d, message: `${pyRepr(n)} is a required property` });
        });
        break;
      }
      default:
        break;
    }
  }
  return (v, d, out) => {
    for (const c of checks) c(v, d, out);
  };
}
