import { pyRepr as reprJson } from './schema/python-format.js';
import type { Json } from './schema/python-format.js';

/**
 * Python's repr() of a decoded JSON value, keys in the order given. Glance's validation messages
 * quote the offending value the way Python prints it ('x', None, True, [1, 'a']), and clients
 * show those messages verbatim. The one implementation is python-format's.
 */
export function pyRepr(value: unknown): string {
  return reprJson(value as Json | undefined, false);
}

/** Python's str() of a JSON value (what `'%s' % value` prints). */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}
