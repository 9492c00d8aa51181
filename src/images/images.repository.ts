import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { ImageStatus } from './image.entity.js';
import type { ImageRecord } from './image-record.js';
import type { Condition, ListQuery, MemberStatusFilter, SortKey } from './list-query.js';

/**
 * SQL for "the project is a member of this image with this member status". The Members feature
 * supplies it; `imageId` is an SQL expression for the image's id and `project`/`status` are
 * placeholders already bound ($n), `status` being null when any status counts.
 */
export type MembershipClause = (imageId: string, project: string, status: string | null) => string;

/** Who is asking, as far as the list query needs to know. */
export interface ListCaller {
  projectId: string | null;
  isAdmin: boolean;
}

/**
 * A PATCH's change of the legacy locations, saved with the rest of the PATCH: the active locations
 * afterwards, in order, and the status change they bring (a first location activates a queued
 * image), which holds only while the image is still in `from`.
 */
export interface LocationsChange {
  active: Array<{ url: string; metadata: Record<string, unknown> }>;
  status?: { from: ImageStatus; to: ImageStatus; fields: ImageDataFields };
}

/** Columns the status/data features may set together with a status change. */
export interface ImageDataFields {
  size?: number | null;
  virtualSize?: number | null;
  checksum?: string | null;
  osHashAlgo?: string | null;
  osHashValue?: string | null;
  /** Changed by the import flow's image_conversion plugin, and taken from the remote by glance-download. */
  diskFormat?: string | null;
  containerFormat?: string | null;
}

/** What PATCH may change on the row itself. */
export interface ImageAttributeChanges {
  name: string | null;
  visibility: string;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  minDisk: number;
  minRam: number;
  containerFormat: string | null;
  diskFormat: string | null;
}

const COLUMNS = `i.id, i.name, i.status, i.visibility, i.protected, i.os_hidden, i.owner, i.min_disk,
  i.min_ram, i.container_format, i.disk_format, i.size, i.virtual_size, i.checksum, i.os_hash_algo,
  i.os_hash_value, i.created_at, i.updated_at, i.deleted, i.deleted_at`;
const AGGREGATES = `(SELECT coalesce(json_object_agg(p.name, p.value), '{}'::json)
     FROM image_properties p WHERE p.image_id = i.id) AS properties,
  (SELECT coalesce(json_agg(t.value ORDER BY t.value), '[]'::json)
     FROM image_tags t WHERE t.image_id = i.id) AS tags,
  (SELECT string_agg(l.metadata->>'store', ',' ORDER BY l.position, l.id)
     FROM image_locations l WHERE l.image_id = i.id AND l.status = 'active') AS stores`;
/** The active locations, for the operator options that show them (show_multiple_locations...). */
const LOCATIONS = `(SELECT coalesce(json_agg(json_build_object('url', l.url, 'metadata', l.metadata)
       ORDER BY l.position, l.id), '[]'::json)
     FROM image_locations l WHERE l.image_id = i.id AND l.status = 'active') AS locations`;

/** Sort expressions; nullable keys sort as the smallest value so that keyset pages stay exact. */
const SORT_SQL: Record<SortKey, string> = {
  name: "coalesce(i.name, '')",
  status: 'i.status',
  container_format: "coalesce(i.container_format, '')",
  disk_format: "coalesce(i.disk_format, '')",
  size: 'coalesce(i.size, -1)',
  id: 'i.id',
  created_at: 'i.created_at',
  updated_at: 'i.updated_at',
};

const COLUMN_SQL: Record<string, string> = {
  name: 'i.name',
  id: 'i.id',
  status: 'i.status',
  container_format: 'i.container_format',
  disk_format: 'i.disk_format',
  owner: 'i.owner',
  checksum: 'i.checksum',
  os_hash_algo: 'i.os_hash_algo',
  os_hash_value: 'i.os_hash_value',
  min_ram: 'i.min_ram',
  min_disk: 'i.min_disk',
  size: 'i.size',
  virtual_size: 'i.virtual_size',
  created_at: 'i.created_at',
  updated_at: 'i.updated_at',
  protected: 'i.protected',
};

interface ImageRow {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: ImageRecord['visibility'];
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  min_disk: number;
  min_ram: number;
  container_format: string | null;
  disk_format: string | null;
  size: string | number | null;
  virtual_size: string | number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  deleted: boolean;
  deleted_at: Date | string | null;
  properties?: Record<string, string | null> | string;
  tags?: string[] | string;
  stores?: string | null;
  locations?: Array<{ url: string; metadata: Record<string, unknown> }> | string;
  caller_is_member?: boolean;
}

function asDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

function asJson<T>(value: T | string | undefined, fallback: T): T {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

function toRecord(row: ImageRow): ImageRecord {
  const record: ImageRecord = {
    id: row.id,
    name: row.name,
    status: row.status,
    visibility: row.visibility,
    protected: row.protected,
    osHidden: row.os_hidden,
    owner: row.owner,
    minDisk: row.min_disk,
    minRam: row.min_ram,
    containerFormat: row.container_format,
    diskFormat: row.disk_format,
    size: row.size === null ? null : Number(row.size),
    virtualSize: row.virtual_size === null ? null : Number(row.virtual_size),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
    deleted: row.deleted,
    deletedAt: row.deleted_at === null ? null : asDate(row.deleted_at),
    properties: asJson(row.properties, {}),
    tags: asJson(row.tags, []),
    stores: row.stores ?? null,
  };
  if (row.locations !== undefined) record.locations = asJson(row.locations, []);
  if (row.caller_is_member !== undefined && row.caller_is_member !== null) {
    record.callerIsMember = row.caller_is_member;
  }
  return record;
}

/** Collects positional parameters while SQL is assembled. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/**
 * The image repository port: what ImagesService needs from storage. Two implementations sit
 * behind this token: SqlImagesRepository (this process holds the database) and the registry
 * client (GLINT_ROLE=api, src/registry). Every operation is one atomic step on the database.
 */
export abstract class ImagesRepository {
  /** Lets the Members feature add "shared with the caller" to visibility (one EXISTS clause). */
  abstract useMembership(clause: MembershipClause): void;
  /** Reads also load each image's locations (only when the API shows them: they cost a subquery). */
  abstract loadLocations(): void;
  /** A live (not deleted) image, with whether `memberOf` is one of its members when known. */
  abstract findById(id: string, memberOf?: string | null): Promise<ImageRecord | null>;
  abstract idTaken(id: string): Promise<boolean>;
  abstract insert(image: ImageRecord): Promise<boolean>;
  abstract saveChanges(
    id: string,
    attributes: ImageAttributeChanges,
    updatedAt: Date,
    properties: { set: Record<string, string | null>; remove: string[] },
    tags: string[] | null,
    locations?: LocationsChange,
  ): Promise<boolean>;
  abstract setProperties(
    id: string,
    changes: { set: Record<string, string | null>; remove: string[] },
    expectedStatus?: ImageStatus,
  ): Promise<boolean>;
  abstract insertPropertyIfAbsent(id: string, name: string, value: string): Promise<boolean>;
  abstract compareAndSetStatus(
    id: string,
    from: ImageStatus,
    to: ImageStatus,
    fields?: ImageDataFields,
  ): Promise<boolean>;
  abstract touch(id: string): Promise<boolean>;
  abstract addTag(id: string, tag: string): Promise<boolean>;
  abstract removeTag(id: string, tag: string): Promise<boolean>;
  abstract markDeleted(id: string, at: Date, status?: 'deleted' | 'pending_delete'): Promise<boolean>;
  /** The scrubber removed the last kept copy of a deleted image's data: pending_delete → deleted. */
  abstract markScrubbed(id: string): Promise<void>;
  abstract list(caller: ListCaller, query: ListQuery): Promise<ImageRecord[]>;
}

/**
 * All image SQL. Reads are single statements: the row plus its properties and tags aggregated
 * in the same query, and lists as one keyset-paginated query that aggregates only the page.
 */
@Injectable()
export class SqlImagesRepository extends ImagesRepository {
  private membership: MembershipClause | null = null;
  private aggregates = AGGREGATES;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  loadLocations(): void {
    this.aggregates = `${AGGREGATES},\n  ${LOCATIONS}`;
  }

  useMembership(clause: MembershipClause): void {
    this.membership = clause;
  }

  private async run<T>(sql: string, params: unknown[], em?: EntityManager): Promise<T[]> {
    const result: unknown = await (em ?? this.dataSource.manager).query(sql, params);
    // TypeORM answers UPDATE and DELETE with [rows, affected count] instead of the rows.
    if (
      Array.isArray(result) &&
      result.length === 2 &&
      Array.isArray(result[0]) &&
      typeof result[1] === 'number'
    ) {
      return result[0] as T[];
    }
    return result as T[];
  }

  /** A live (not deleted) image, with whether `memberOf` is one of its members when known. */
  async findById(id: string, memberOf?: string | null, em?: EntityManager): Promise<ImageRecord | null> {
    const params = new Params();
    const idParam = params.add(id, '::uuid');
    let member = '';
    if (this.membership && memberOf) {
      member = `, ${this.membership('i.id', params.add(memberOf, '::varchar'), null)} AS caller_is_member`;
    }
    const rows = await this.run<ImageRow>(
      `SELECT ${COLUMNS}, ${this.aggregates}${member} FROM images i WHERE i.id = ${idParam} AND i.deleted = false`,
      params.values,
      em,
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  /** Any row with this id, deleted ones included (ids are never reused). */
  async idTaken(id: string): Promise<boolean> {
    const rows = await this.run(`SELECT 1 FROM images WHERE id = $1::uuid`, [id]);
    return rows.length > 0;
  }

  /** Inserts image, properties and tags in one statement; false when the id already exists. */
  async insert(image: ImageRecord): Promise<boolean> {
    const params = new Params();
    const values = [
      params.add(image.id, '::uuid'),
      params.add(image.name),
      params.add(image.status),
      params.add(image.visibility),
      image.protected ? 'true' : 'false',
      image.osHidden ? 'true' : 'false',
      params.add(image.owner),
      params.add(image.minDisk, '::integer'),
      params.add(image.minRam, '::integer'),
      params.add(image.containerFormat),
      params.add(image.diskFormat),
      params.add(image.createdAt.toISOString(), '::timestamptz'),
      params.add(image.updatedAt.toISOString(), '::timestamptz'),
    ];
    let sql = `WITH img AS (
      INSERT INTO images (id, name, status, visibility, protected, os_hidden, owner, min_disk, min_ram,
        container_format, disk_format, created_at, updated_at)
      VALUES (${values.join(', ')}) ON CONFLICT (id) DO NOTHING RETURNING id)`;
    const props = Object.entries(image.properties);
    if (props.length) {
      const rows = props.map(([n, v]) => `(${params.add(n, '::varchar')}, ${params.add(v, '::text')})`);
      sql += `, props AS (INSERT INTO image_properties (image_id, name, value)
        SELECT img.id, v.name, v.value FROM img, (VALUES ${rows.join(', ')}) AS v(name, value))`;
    }
    if (image.tags.length) {
      const rows = image.tags.map((t) => `(${params.add(t, '::varchar')})`);
      sql += `, tags AS (INSERT INTO image_tags (image_id, value)
        SELECT img.id, v.value FROM img, (VALUES ${rows.join(', ')}) AS v(value))`;
    }
    sql += ' SELECT id FROM img';
    const rows = await this.run(sql, params.values);
    return rows.length > 0;
  }

  /**
   * Saves what PATCH changed in one statement: the row's attributes, the properties set or
   * removed, the new tag set when it changed, and the locations with the status they bring. false
   * when the image is gone, or, with a status change, no longer in the status it comes from.
   */
  async saveChanges(
    id: string,
    attributes: ImageAttributeChanges,
    updatedAt: Date,
    properties: { set: Record<string, string | null>; remove: string[] },
    tags: string[] | null,
    locations?: LocationsChange,
  ): Promise<boolean> {
    const params = new Params();
    const idParam = params.add(id, '::uuid');
    const statusChange = locations?.status;
    // The formats are attributes of the PATCH already; a column may be set once.
    const dataFields: ImageDataFields = { ...statusChange?.fields };
    delete dataFields.diskFormat;
    delete dataFields.containerFormat;
    const statusSets = statusChange
      ? this.statusSets(params, statusChange.to, dataFields)
          .map((set) => `,\n        ${set}`)
          .join('')
      : '';
    const statusCheck = statusChange ? ` AND status = ${params.add(statusChange.from, '::varchar')}` : '';
    let sql = `WITH u AS (UPDATE images SET
        name = ${params.add(attributes.name, '::varchar')},
        visibility = ${params.add(attributes.visibility, '::varchar')},
        protected = ${attributes.protected ? 'true' : 'false'},
        os_hidden = ${attributes.osHidden ? 'true' : 'false'},
        owner = ${params.add(attributes.owner, '::varchar')},
        min_disk = ${params.add(attributes.minDisk, '::integer')},
        min_ram = ${params.add(attributes.minRam, '::integer')},
        container_format = ${params.add(attributes.containerFormat, '::varchar')},
        disk_format = ${params.add(attributes.diskFormat, '::varchar')},
        updated_at = ${params.add(updatedAt.toISOString(), '::timestamptz')}${statusSets}
      WHERE id = ${idParam} AND deleted = false${statusCheck} RETURNING id)`;
    if (locations) {
      // One statement: the new rows are invisible to the DELETE, which sees the rows before it.
      sql += `, dl AS (DELETE FROM image_locations l USING u WHERE l.image_id = u.id AND l.status = 'active')`;
      if (locations.active.length) {
        const rows = locations.active.map(
          (l, position) =>
            `(${params.add(l.url, '::text')}, ${params.add(JSON.stringify(l.metadata), '::jsonb')}, ${position})`,
        );
        sql += `, il AS (INSERT INTO image_locations (image_id, url, metadata, status, position)
          SELECT u.id, v.url, v.metadata, 'active', v.position
          FROM u, (VALUES ${rows.join(', ')}) AS v(url, metadata, position))`;
      }
    }
    sql += this.propertyChangesSql(params, properties);
    if (tags) {
      const list = tags.map((t) => params.add(t, '::varchar'));
      sql += `, dt AS (DELETE FROM image_tags t USING u WHERE t.image_id = u.id${
        list.length ? ` AND t.value NOT IN (${list.join(', ')})` : ''
      })`;
      if (list.length) {
        sql += `, it AS (INSERT INTO image_tags (image_id, value)
          SELECT u.id, v.value FROM u, (VALUES ${list.map((p) => `(${p})`).join(', ')}) AS v(value)
          ON CONFLICT DO NOTHING)`;
      }
    }
    sql += ' SELECT id FROM u';
    const rows = await this.run(sql, params.values);
    return rows.length > 0;
  }

  private propertyChangesSql(
    params: Params,
    changes: { set: Record<string, string | null>; remove: string[] },
  ): string {
    let sql = '';
    if (changes.remove.length) {
      const names = changes.remove.map((n) => params.add(n, '::varchar'));
      sql += `, dp AS (DELETE FROM image_properties p USING u WHERE p.image_id = u.id AND p.name IN (${names.join(', ')}))`;
    }
    const set = Object.entries(changes.set);
    if (set.length) {
      const rows = set.map(([n, v]) => `(${params.add(n, '::varchar')}, ${params.add(v, '::text')})`);
      sql += `, sp AS (INSERT INTO image_properties (image_id, name, value)
        SELECT u.id, v.name, v.value FROM u, (VALUES ${rows.join(', ')}) AS v(name, value)
        ON CONFLICT (image_id, name) DO UPDATE SET value = EXCLUDED.value)`;
    }
    return sql;
  }

  /**
   * Sets and removes additional properties (and bumps updated_at) in one statement. false when
   * the image is gone, or, with `expectedStatus`, when its status is no longer that one.
   */
  async setProperties(
    id: string,
    changes: { set: Record<string, string | null>; remove: string[] },
    expectedStatus?: ImageStatus,
  ): Promise<boolean> {
    const params = new Params();
    const idParam = params.add(id, '::uuid');
    const statusCheck = expectedStatus ? ` AND status = ${params.add(expectedStatus, '::varchar')}` : '';
    let sql = `WITH u AS (UPDATE images SET updated_at = now()
      WHERE id = ${idParam} AND deleted = false${statusCheck} RETURNING id)`;
    sql += this.propertyChangesSql(params, changes);
    sql += ' SELECT id FROM u';
    const rows = await this.run(sql, params.values);
    return rows.length > 0;
  }

  /** Adds a property only if the image does not have it yet (Glance's import lock). */
  async insertPropertyIfAbsent(id: string, name: string, value: string): Promise<boolean> {
    const rows = await this.run(
      `INSERT INTO image_properties (image_id, name, value)
       SELECT id, $2::varchar, $3::text FROM images WHERE id = $1::uuid AND deleted = false
       ON CONFLICT (image_id, name) DO NOTHING RETURNING name`,
      [id, name, value],
    );
    return rows.length > 0;
  }

  /**
   * Compare-and-set of the status (with data columns that change together with it). Entering
   * `queued` clears size and virtual_size. Returns false when the status was not `from`.
   */
  async compareAndSetStatus(
    id: string,
    from: ImageStatus,
    to: ImageStatus,
    fields: ImageDataFields = {},
  ): Promise<boolean> {
    const params = new Params();
    const sets = ['updated_at = now()', ...this.statusSets(params, to, fields)];
    const rows = await this.run(
      `UPDATE images SET ${sets.join(', ')}
       WHERE id = ${params.add(id, '::uuid')} AND deleted = false AND status = ${params.add(from, '::varchar')}
       RETURNING id`,
      params.values,
    );
    return rows.length > 0;
  }

  /**
   * SET items of a status change with the data columns that change with it. Entering `queued`
   * clears size and virtual_size.
   */
  private statusSets(params: Params, to: ImageStatus, fields: ImageDataFields): string[] {
    const sets = [`status = ${params.add(to, '::varchar')}`];
    const columns: Array<[keyof ImageDataFields, string, string]> = [
      ['size', 'size', '::bigint'],
      ['virtualSize', 'virtual_size', '::bigint'],
      ['checksum', 'checksum', '::varchar'],
      ['osHashAlgo', 'os_hash_algo', '::varchar'],
      ['osHashValue', 'os_hash_value', '::varchar'],
      ['diskFormat', 'disk_format', '::varchar'],
      ['containerFormat', 'container_format', '::varchar'],
    ];
    const effective: ImageDataFields =
      to === 'queued' ? { size: null, virtualSize: null, ...fields } : fields;
    for (const [key, column, cast] of columns) {
      if (key in effective) {
        const value = effective[key];
        sets.push(
          `${column} = ${params.add(value === null || value === undefined ? null : String(value), cast)}`,
        );
      }
    }
    return sets;
  }

  /** Bumps updated_at only (a save that changed nothing else, as Glance still records it). */
  async touch(id: string): Promise<boolean> {
    const rows = await this.run(
      `UPDATE images SET updated_at = now() WHERE id = $1::uuid AND deleted = false RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  async addTag(id: string, tag: string): Promise<boolean> {
    const rows = await this.run(
      `WITH u AS (UPDATE images SET updated_at = now() WHERE id = $1::uuid AND deleted = false RETURNING id),
       t AS (INSERT INTO image_tags (image_id, value) SELECT id, $2::varchar FROM u ON CONFLICT DO NOTHING)
       SELECT id FROM u`,
      [id, tag],
    );
    return rows.length > 0;
  }

  async removeTag(id: string, tag: string): Promise<boolean> {
    const rows = await this.run(
      `WITH d AS (DELETE FROM image_tags WHERE image_id = $1::uuid AND value = $2::varchar RETURNING image_id)
       UPDATE images SET updated_at = now() WHERE id IN (SELECT image_id FROM d) AND deleted = false RETURNING id`,
      [id, tag],
    );
    return rows.length > 0;
  }

  /** The soft delete: the row stays (its id reserved forever), marked deleted. */
  async markDeleted(
    id: string,
    at: Date,
    status: 'deleted' | 'pending_delete' = 'deleted',
  ): Promise<boolean> {
    const rows = await this.run(
      `UPDATE images SET deleted = true, deleted_at = $2::timestamptz, status = $3::varchar, updated_at = $2::timestamptz
       WHERE id = $1::uuid AND deleted = false RETURNING id`,
      [id, at.toISOString(), status],
    );
    return rows.length > 0;
  }

  /** A deleted image whose kept data the scrubber removed (no pending_delete location left). */
  async markScrubbed(id: string): Promise<void> {
    await this.run(
      `UPDATE images SET status = 'deleted', updated_at = now()
       WHERE id = $1::uuid AND deleted = true AND status = 'pending_delete'
         AND NOT EXISTS (SELECT 1 FROM image_locations l WHERE l.image_id = $1::uuid AND l.status = 'pending_delete')
       RETURNING id`,
      [id],
    );
  }

  /**
   * One page of the images `caller` may list, in one statement: visibility, filters and keyset
   * cut-off on the image rows, then properties and tags aggregated for the page only. The marker
   * must have been checked by the caller; its sort values are read by the same statement.
   */
  async list(caller: ListCaller, query: ListQuery): Promise<ImageRecord[]> {
    if (query.limit === 0) return [];
    const params = new Params();
    const branches = this.visibilityBranches(caller, query, params);
    const where = [
      'i.deleted = false',
      "i.status <> 'killed'",
      `i.os_hidden = ${query.osHidden ? 'true' : 'false'}`,
    ];
    for (const c of query.conditions) where.push(conditionSql(c, params));
    for (const tag of query.tags) {
      where.push(
        `EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.value = ${params.add(tag, '::varchar')})`,
      );
    }
    for (const { name, value } of query.properties) {
      const v = params.add(value, '::text');
      where.push(
        `EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = ${params.add(name, '::varchar')} AND md5(p.value) = md5(${v}) AND p.value = ${v})`,
      );
    }
    if (query.marker) where.push(keysetSql(query, params.add(query.marker, '::uuid')));
    const order = query.sort.map((s) => `${SORT_SQL[s.key]} ${s.dir.toUpperCase()}`).join(', ');
    const limit = params.add(query.limit, '::integer');
    const select = (branch: string) =>
      `SELECT ${COLUMNS} FROM images i WHERE ${[branch, ...where].join(' AND ')} ORDER BY ${order} LIMIT ${limit}`;
    // Disjoint visibility branches each walk their own index in sort order and stop after one
    // page; merging them costs a page per branch instead of sorting every visible row.
    const rows =
      branches.length === 1 ? select(branches[0]) : branches.map((b) => `(${select(b)})`).join(' UNION ALL ');
    const page = branches.length === 1 ? rows : `SELECT * FROM (${rows}) i ORDER BY ${order} LIMIT ${limit}`;
    const sql = `WITH page AS (${page}) SELECT i.*, ${this.aggregates} FROM page i ORDER BY ${order}`;
    const result = await this.run<ImageRow>(sql, params.values);
    return result.map(toRecord);
  }

  private memberSql(params: Params, project: string | null, status: MemberStatusFilter): string | null {
    if (!this.membership || !project) return null;
    return this.membership(
      'i.id',
      params.add(project, '::varchar'),
      status === 'all' ? null : params.add(status, '::varchar'),
    );
  }

  /**
   * The caller's visible set (§4.4), narrowed by the `visibility` filter when there is one, as
   * disjoint predicates whose union is the set (one per index-friendly branch).
   */
  private visibilityBranches(caller: ListCaller, query: ListQuery, params: Params): string[] {
    const v = query.visibility;
    // Bound only when used: PostgreSQL refuses a parameter that the statement never mentions.
    let projectParam: string | undefined;
    const project = () => (projectParam ??= params.add(caller.projectId, '::varchar'));
    const owned = () => (caller.projectId === null ? 'false' : `i.owner = ${project()}`);
    const notOwned = () => (caller.projectId === null ? 'true' : `i.owner IS DISTINCT FROM ${project()}`);
    if (caller.isAdmin) {
      if (v === 'all') return ['true'];
      if (v) return [`i.visibility = '${v}'`];
      return [`(i.visibility <> 'community' OR ${owned()})`];
    }
    // Built only by the branches that use it: PostgreSQL refuses a parameter that is never mentioned.
    let sharedBranch: string[] | undefined;
    const shared = () => {
      if (!sharedBranch) {
        const member = this.memberSql(params, caller.projectId, query.memberStatus);
        sharedBranch = member ? [`i.visibility = 'shared' AND ${notOwned()} AND ${member}`] : [];
      }
      return sharedBranch;
    };
    switch (v) {
      case 'public':
        return ["i.visibility = 'public'"];
      case 'community':
        return ["i.visibility = 'community'"];
      case 'private':
        return [`i.visibility = 'private' AND ${owned()}`];
      case 'shared':
        return [`i.visibility = 'shared' AND ${owned()}`, ...shared()];
      case 'all':
        return [owned(), `i.visibility IN ('public', 'community') AND ${notOwned()}`, ...shared()];
      default:
        return [owned(), `i.visibility = 'public' AND ${notOwned()}`, ...shared()];
    }
  }
}

function conditionSql(c: Condition, params: Params): string {
  switch (c.kind) {
    case 'never':
      return 'false';
    case 'bool':
      return `${COLUMN_SQL[c.column]} = ${c.value ? 'true' : 'false'}`;
    case 'int':
      return `${COLUMN_SQL[c.column]} = ${params.add(String(c.value), '::bigint')}`;
    case 'range':
      return `${COLUMN_SQL[c.column]} ${c.op} ${params.add(String(c.value), '::bigint')}`;
    case 'time':
      return `${COLUMN_SQL[c.column]} ${c.op} ${params.add(c.value.toISOString(), '::timestamptz')}`;
    case 'in': {
      const cast = c.column === 'id' ? '::uuid' : '::varchar';
      const list = c.values.map((v) => params.add(v, cast));
      return list.length === 1
        ? `${COLUMN_SQL[c.column]} = ${list[0]}`
        : `${COLUMN_SQL[c.column]} IN (${list.join(', ')})`;
    }
  }
}

/** Rows strictly after the marker in the sort order, comparing with the marker row's own values. */
function keysetSql(query: ListQuery, marker: string): string {
  const keys = query.sort.map((s) => SORT_SQL[s.key]);
  const markerValue = (expr: string) => `(SELECT ${expr} FROM images i WHERE i.id = ${marker})`;
  const dirs = new Set(query.sort.map((s) => s.dir));
  if (dirs.size === 1) {
    const op = dirs.has('asc') ? '>' : '<';
    return `(${keys.join(', ')}) ${op} (SELECT ${keys.join(', ')} FROM images i WHERE i.id = ${marker})`;
  }
  const branches = query.sort.map((s, n) => {
    const equal = query.sort.slice(0, n).map((p) => `${SORT_SQL[p.key]} = ${markerValue(SORT_SQL[p.key])}`);
    const cut = `${SORT_SQL[s.key]} ${s.dir === 'asc' ? '>' : '<'} ${markerValue(SORT_SQL[s.key])}`;
    return `(${[...equal, cut].join(' AND ')})`;
  });
  return `(${branches.join(' OR ')})`;
}
