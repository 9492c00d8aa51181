import { InvalidError, UnsupportedMediaTypeError } from '../common/errors/domain-errors.js';

/** The two PATCH media types Glance accepts, and the header listing them on a 415. */
export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch';
export const ACCEPT_PATCH = `${PATCH_V20}, ${PATCH_V21}`;

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOp {
  op: PatchOpName;
  /** Decoded JSON-pointer segments. */
  path: string[];
  value?: unknown;
  /** The draft-4 (v2.0) media type: `add` of something present is a conflict there. */
  draft4: boolean;
}

const OPS: readonly string[] = ['add', 'remove', 'replace'];

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new InvalidError(`Pointer \`${pointer}\` does not start with "/".`);
  if (pointer.endsWith('/') && pointer.length > 1)
    throw new InvalidError(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.includes('//')) throw new InvalidError(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (/~(?![01])/.test(pointer)) {
    throw new InvalidError(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

/**
 * Reads a PATCH body in either of Glance's media types into operations, refusing anything
 * else with 415. Path rules that depend on the image schema are the service's business.
 */
export function parsePatch(contentType: string | undefined, body: unknown): PatchOp[] {
  const type = mediaType(contentType);
  if (type !== PATCH_V21 && type !== PATCH_V20) {
    throw UnsupportedMediaTypeError.forContentType(contentType, ACCEPT_PATCH);
  }
  const draft4 = type === PATCH_V20;
  if (!Array.isArray(body)) throw new InvalidError('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new InvalidError('Operations must be JSON objects.');
    }
    const change = raw as Record<string, unknown>;
    let op: string;
    let pointer: unknown;
    if (draft4) {
      const present = OPS.filter((o) => Object.hasOwn(change, o));
      if (present.length !== 1) {
        throw new InvalidError(
          'Operation objects must contain only one member named "add", "remove", or "replace".',
        );
      }
      op = present[0];
      pointer = change[op];
    } else {
      if (!Object.hasOwn(change, 'op')) {
        throw new InvalidError(
          'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
        );
      }
      op = String(change.op);
      if (!OPS.includes(op)) {
        throw new InvalidError(
          `Invalid operation: \`${op}\`. It must be one of the following: add, remove, replace.`,
        );
      }
      if (!Object.hasOwn(change, 'path'))
        throw new InvalidError("Unable to find 'path' in JSON Schema change");
      pointer = change.path;
    }
    if (typeof pointer !== 'string')
      throw new InvalidError(`Pointer \`${String(pointer)}\` does not start with "/".`);
    const path = decodePointer(pointer);
    if (op !== 'remove' && !Object.hasOwn(change, 'value')) {
      throw new InvalidError(`Operation "${op}" requires a member named "value".`);
    }
    return { op: op as PatchOpName, path, value: change.value, draft4 };
  });
}
