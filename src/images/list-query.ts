import { InvalidError } from '../common/errors/domain-errors.js';

/**
 * Reads the query string of GET /v2/images the way Glance does (paging, both sorting syntaxes,
 * every filter and operator), with Glance's 400 texts. The result is plain data; the repository
 * turns it into SQL.
 */

export const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';
export type MemberStatusFilter = 'accepted' | 'pending' | 'rejected' | 'all';
export type VisibilityFilter = 'public' | 'private' | 'shared' | 'community' | 'all';

export type Condition =
  | { kind: 'in'; column: string; values: string[] }
  | { kind: 'time'; column: 'created_at' | 'updated_at'; op: string; value: Date }
  | { kind: 'range'; column: string; op: '>=' | '<='; value: number }
  | { kind: 'int'; column: string; value: number }
  | { kind: 'bool'; column: string; value: boolean }
  | { kind: 'never' };

export interface ListQuery {
  limit: number;
  marker?: string;
  sort: Array<{ key: SortKey; dir: SortDir }>;
  visibility?: VisibilityFilter;
  memberStatus: MemberStatusFilter;
  osHidden: boolean;
  tags: string[];
  conditions: Condition[];
  properties: Array<{ name: string; value: string }>;
  /** The request's parameters, in order and with repeats, for the `first` and `next` links. */
  params: Array<[string, string]>;
}

const PAGING = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'tag']);
const IN_COLUMNS = new Set(['name', 'id', 'status', 'container_format', 'disk_format']);
const TEXT_COLUMNS = new Set(['owner', 'checksum', 'os_hash_algo', 'os_hash_value']);
const INT_COLUMNS = new Set(['min_ram', 'min_disk', 'size', 'virtual_size']);
const TIME_OPS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' };
const VISIBILITIES = new Set(['public', 'private', 'shared', 'community', 'all']);
const MEMBER_STATUSES = new Set(['accepted', 'pending', 'rejected', 'all']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^\s*[+-]?\d+\s*$/;
const ISO_8601 =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
/** Values of an `in:` list: quoted ones may hold commas. */
const IN_VALUE = /"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** An ISO 8601 date-time, as Python's iso8601 reads it (missing parts default), or null. */
export function parseIsoTime(text: string): Date | null {
  const m = ISO_8601.exec(text.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = Number((frac + '000').slice(0, 3));
  let offset = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  const date = new Date(utc - offset * 60_000);
  // Reject dates JavaScript would roll over (2020-02-31) as Python refuses them.
  const check = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59)
    return null;
  return date;
}

/** Glance's split of `op:value`: a bare ISO timestamp keeps its colons and means `eq`. */
function splitOp(value: string): [string, string] {
  const i = value.indexOf(':');
  if (i < 0) return ['eq', value];
  if (parseIsoTime(value)) return ['eq', value];
  return [value.slice(0, i), value.slice(i + 1)];
}

function splitInValues(raw: string): string[] {
  if ((raw.match(/(?<!\\)"/g)?.length ?? 0) % 2 !== 0) {
    throw new InvalidError(`Invalid filter value ${raw}. The quote is not closed.`);
  }
  const values: string[] = [];
  for (const m of raw.matchAll(IN_VALUE)) values.push(m[1] ?? m[2] ?? '');
  return values;
}

function parseLimit(raw: string | undefined, def: number, max: number): number {
  if (raw === undefined) return Math.min(def, max);
  if (!INTEGER.test(raw)) throw new InvalidError('limit param must be an integer');
  const limit = Number(raw);
  if (limit < 0) throw new InvalidError('limit param must be positive');
  return Math.min(limit, max);
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw new InvalidError(
      `Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`,
    );
  }
  return key as SortKey;
}

function sortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw new InvalidError(`Invalid sort direction: ${dir}`);
  return dir;
}

function parseSort(all: (name: string) => string[]): ListQuery['sort'] {
  const sort = all('sort');
  const keys = all('sort_key');
  const dirs = all('sort_dir');
  let parsed: ListQuery['sort'];
  let tieDir: SortDir = 'desc';
  if (sort.length) {
    if (keys.length || dirs.length) throw new InvalidError('Old and new sorting syntax cannot be combined');
    parsed = [];
    const given = new Set<SortDir>();
    for (const part of sort[sort.length - 1].split(',')) {
      const [k, d] = part.split(':', 2);
      const dir = d === undefined ? 'desc' : sortDir(d.trim());
      if (d !== undefined) given.add(dir);
      parsed.push({ key: sortKey(k.trim()), dir });
    }
    if (given.size === 1) tieDir = [...given][0];
  } else {
    const ks = (keys.length ? keys : ['created_at']).map((k) => sortKey(k.trim()));
    const ds = dirs.map((d) => sortDir(d.trim()));
    if (ds.length > 1 && ds.length !== ks.length) {
      throw new InvalidError('Number of sort dirs does not match the number of sort keys');
    }
    parsed = ks.map((key, i) => ({ key, dir: ds.length > 1 ? ds[i] : (ds[0] ?? 'desc') }));
    if (ds.length === 1) tieDir = ds[0];
  }
  // created_at and id make the order total, so that keyset pages never skip or repeat rows.
  const seen = new Set(parsed.map((s) => s.key));
  for (const key of ['created_at', 'id'] as const) if (!seen.has(key)) parsed.push({ key, dir: tieDir });
  return parsed;
}

function boolFilter(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidError(
    `Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`,
  );
}

export function parseListQuery(search: string, limits: { default: number; max: number }): ListQuery {
  const params = [...new URLSearchParams(search)];
  const all = (name: string) => params.filter(([k]) => k === name).map(([, v]) => v);
  const last = (name: string) => all(name).at(-1);

  const query: ListQuery = {
    limit: parseLimit(last('limit'), limits.default, limits.max),
    marker: last('marker'),
    sort: parseSort(all),
    memberStatus: 'accepted',
    osHidden: false,
    tags: all('tag'),
    conditions: [],
    properties: [],
    params,
  };

  const memberStatus = last('member_status');
  if (memberStatus !== undefined) {
    if (!MEMBER_STATUSES.has(memberStatus)) throw new InvalidError(`Invalid status: ${memberStatus}`);
    query.memberStatus = memberStatus as MemberStatusFilter;
  }

  const filters = new Map<string, string>();
  for (const [k, v] of params) if (!PAGING.has(k)) filters.set(k, v);

  for (const [name, value] of filters) {
    if (name === 'visibility') {
      if (!VISIBILITIES.has(value)) throw new InvalidError(`Invalid visibility value: ${value}`);
      query.visibility = value as VisibilityFilter;
    } else if (name === 'changes-since') {
      throw new InvalidError('The "changes-since" filter is no longer available on v2.');
    } else if (name === 'os_hidden') {
      query.osHidden = boolFilter(name, value);
    } else if (name === 'protected') {
      query.conditions.push({ kind: 'bool', column: name, value: boolFilter(name, value) });
    } else if (name === 'created_at' || name === 'updated_at') {
      const [op, text] = splitOp(value);
      const sqlOp = TIME_OPS[op];
      if (!sqlOp) throw new InvalidError('Unable to filter on a unknown operator.');
      const time = parseIsoTime(text);
      if (!time) throw new InvalidError(`Bad "${name}" query filter format. Use ISO 8601 DateTime notation.`);
      query.conditions.push({ kind: 'time', column: name, op: sqlOp, value: time });
    } else if (IN_COLUMNS.has(name)) {
      const [op, text] = splitOp(value);
      let values: string[];
      if (op === 'in') values = splitInValues(text);
      else if (op === 'eq') values = [text];
      else throw new InvalidError(`Unable to filter by unknown operator '${op}'.`);
      if (name === 'id') values = values.filter(isUuid).map((v) => v.toLowerCase());
      query.conditions.push(values.length ? { kind: 'in', column: name, values } : { kind: 'never' });
    } else if (TEXT_COLUMNS.has(name)) {
      query.conditions.push({ kind: 'in', column: name, values: [value] });
    } else if (INT_COLUMNS.has(name)) {
      const n = INTEGER.test(value) ? Number(value) : NaN;
      query.conditions.push(
        Number.isSafeInteger(n) ? { kind: 'int', column: name, value: n } : { kind: 'never' },
      );
    } else if ((name.endsWith('_min') || name.endsWith('_max')) && INT_COLUMNS.has(name.slice(0, -4))) {
      if (!INTEGER.test(value))
        throw new InvalidError('Unable to filter on a range with a non-numeric value.');
      query.conditions.push({
        kind: 'range',
        column: name.slice(0, -4),
        op: name.endsWith('_min') ? '>=' : '<=',
        value: Number(value),
      });
    } else {
      query.properties.push({ name, value });
    }
  }
  return query;
}

/** Python's urlencode (quote_plus): what Glance's links look like. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

export function listLinks(
  query: ListQuery,
  nextMarker: string | undefined,
): { first: string; next?: string } {
  const kept = query.params.filter(([k]) => k !== 'marker');
  const encode = (pairs: Array<[string, string]>) =>
    pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
  const first = kept.length ? `/v2/images?${encode(kept)}` : '/v2/images';
  if (nextMarker === undefined) return { first };
  return { first, next: `/v2/images?${encode([...kept, ['marker', nextMarker]])}` };
}
