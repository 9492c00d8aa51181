import { InvalidError } from '../common/errors/domain-errors.js';
import type { ListQuery } from './dto/list-query.dto.js';

/** The paging parameters Glance's metadef deserializers read, with their messages. */

export function single(q: ListQuery, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new InvalidError('limit param must be an integer');
  const limit = Number(raw);
  if (limit < 0) throw new InvalidError('limit param must be positive');
  return limit;
}

export function parseSortDir(raw: string | undefined): 'asc' | 'desc' {
  const dir = raw ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw new InvalidError(`Invalid sort direction: ${dir}`);
  return dir;
}

export function parseSortKey<K extends string>(
  raw: string | undefined,
  allowed: readonly K[],
  fallback: K,
): K {
  const key = raw ?? fallback;
  if (!(allowed as readonly string[]).includes(key)) throw new InvalidError(`Invalid sort key: ${key}`);
  return key as K;
}

/** Python's urlencode of the query as the client ordered it (quote_plus encoding). */
export function urlencode(pairs: Array<[string, string]>): string {
  const enc = (s: string) =>
    encodeURIComponent(s)
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}
