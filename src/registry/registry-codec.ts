import * as errors from '../common/errors/domain-errors.js';
import { DomainError } from '../common/errors/domain-errors.js';
import type { RegistryErrorBody } from './registry-protocol.js';

/**
 * Values cross the registry transport as JSON. Two things JSON loses matter to the repositories:
 * Dates (records, timestamps, `changes-since` filters) and `undefined` (an optional argument left
 * out, or `{ size: undefined }`, which compare-and-set reads as "set the column to null"). Both
 * travel as one-key tagged objects. A value's own object that looks like a tag (task input is
 * client JSON) is wrapped in `$object`, so that it arrives as it left.
 */
const DATE = '$date';
const UNDEFINED = '$undefined';
const OBJECT = '$object';

/** One `$…` key alone: the shape of a tag. */
function looksTagged(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0].startsWith('$');
}

/** Sets an own property, even one named `__proto__` (client JSON may have one). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mapEntries(value: object, map: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, map(v));
  return out;
}

export function encodeValue(value: unknown): unknown {
  if (value === undefined) return { [UNDEFINED]: true };
  if (value instanceof Date) return { [DATE]: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === 'object') {
    const out = mapEntries(value, encodeValue);
    return looksTagged(out) ? { [OBJECT]: out } : out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError(`registry codec: ${value} has no JSON form`);
  }
  return value;
}

export function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (looksTagged(obj)) {
      if (UNDEFINED in obj) return undefined;
      if (DATE in obj && typeof obj[DATE] === 'string') return new Date(obj[DATE]);
      if (OBJECT in obj && obj[OBJECT] !== null && typeof obj[OBJECT] === 'object')
        return mapEntries(obj[OBJECT], decodeValue);
    }
    return mapEntries(obj, decodeValue);
  }
  return value;
}

/** Domain error classes that can be rebuilt from `{ code, message, detail }` alone. */
const REBUILDABLE: Record<string, new (message: string, options?: { detail?: boolean }) => DomainError> = {
  NotFoundError: errors.NotFoundError,
  ForbiddenError: errors.ForbiddenError,
  InvalidError: errors.InvalidError,
  ConflictError: errors.ConflictError,
  DuplicateError: errors.DuplicateError,
  OverLimitError: errors.OverLimitError,
  RangeNotSatisfiableError: errors.RangeNotSatisfiableError,
  GoneError: errors.GoneError,
  UnavailableError: errors.UnavailableError,
};

/** The code an unexpected (non-domain) failure crosses with; it stays a 500 on the API side. */
export const INTERNAL_ERROR = 'internal';
/** A request without the right GLINT_REGISTRY_TOKEN. */
export const UNAUTHORIZED_ERROR = 'unauthorized';

/** A policy refusal carries its rule: the service calls (tasks, import) evaluate policy in the registry. */
const POLICY_DENIED = 'PolicyDeniedError';

/**
 * The nearest class up the error's chain that can be rebuilt: a subclass that only fixes its
 * message (StorageFullError, AttributeForbiddenError) answers as its parent does.
 */
function rebuildableName(err: DomainError): string | undefined {
  for (let proto: unknown = Object.getPrototypeOf(err); proto && proto !== DomainError.prototype;) {
    const name = (proto as { constructor: { name: string } }).constructor.name;
    if (REBUILDABLE[name]) return name;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

export function encodeError(err: unknown): RegistryErrorBody {
  if (err instanceof errors.PolicyDeniedError) {
    return { code: POLICY_DENIED, message: err.message, rule: err.rule };
  }
  const name = err instanceof DomainError ? rebuildableName(err) : undefined;
  if (err instanceof DomainError && name) {
    return { code: name, message: err.message, ...(err.detail ? { detail: true } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: INTERNAL_ERROR, message };
}

/** An error the registry could not map to a domain error (a database failure, a bug). */
export class RegistryOperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryOperationError';
  }
}

/** The error the API process throws for a registry error reply: the same domain error where there is one. */
export function decodeError(body: RegistryErrorBody, operation: string): Error {
  if (body.code === POLICY_DENIED && typeof body.rule === 'string')
    return new errors.PolicyDeniedError(body.rule);
  const Rebuilt = REBUILDABLE[body.code];
  if (Rebuilt) return new Rebuilt(body.message, { detail: body.detail ?? false });
  return new RegistryOperationError(body.code, `registry ${operation}: ${body.message}`);
}
