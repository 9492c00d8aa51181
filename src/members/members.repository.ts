import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { MembershipClause } from '../images/images.repository.js';
import type { MemberStatus } from './image-member.entity.js';
import type { MemberRecord } from './member-record.js';

interface MemberRow {
  image_id: string;
  member: string;
  status: MemberStatus;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = 'image_id, member, status, created_at, updated_at';

function toRecord(row: MemberRow): MemberRecord {
  return {
    imageId: row.image_id,
    memberId: row.member,
    status: row.status,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * "Project P is a live member of the image (with status S)": the clause the image queries embed
 * for visibility, lookups and the list's member_status filter. It is served by the member index.
 */
export const membershipClause: MembershipClause = (imageId, project, status) =>
  `EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = ${imageId} AND m.member = ${project}` +
  ` AND m.deleted = false${status ? ` AND m.status = ${status}` : ''})`;

/** The member repository port (SQL here, or the registry client with GLINT_ROLE=api). */
export abstract class MembersRepository {
  /** Live members of an image in the order they were first added; `only` narrows to one project. */
  abstract list(imageId: string, only?: string): Promise<MemberRecord[]>;
  abstract find(imageId: string, member: string): Promise<MemberRecord | null>;
  abstract countLive(imageId: string): Promise<number>;
  /** Adds a pending member, reviving a removed one; null when the project is a live member already. */
  abstract add(imageId: string, member: string, at: Date): Promise<MemberRecord | null>;
  abstract setStatus(
    imageId: string,
    member: string,
    status: MemberStatus,
    at: Date,
  ): Promise<MemberRecord | null>;
  abstract remove(imageId: string, member: string, at: Date): Promise<boolean>;
  abstract removeAll(imageId: string, at: Date): Promise<void>;
}

/**
 * All member SQL. Rows are soft-deleted and revived, never removed. Writes that return rows are
 * wrapped in a CTE so that both drivers hand back plain rows (TypeORM returns [rows, count] for a
 * bare UPDATE).
 */
@Injectable()
export class SqlMembersRepository extends MembersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private async run(sql: string, params: unknown[]): Promise<MemberRecord[]> {
    const rows: MemberRow[] = await this.dataSource.manager.query(sql, params);
    return rows.map(toRecord);
  }

  /** Live members of an image in the order they were first added; `only` narrows to one project. */
  list(imageId: string, only?: string): Promise<MemberRecord[]> {
    return only === undefined
      ? this.run(
          `SELECT ${COLUMNS} FROM image_members WHERE image_id = $1::uuid AND deleted = false ORDER BY id`,
          [imageId],
        )
      : this.run(
          `SELECT ${COLUMNS} FROM image_members
           WHERE image_id = $1::uuid AND member = $2::varchar AND deleted = false ORDER BY id`,
          [imageId, only],
        );
  }

  async find(imageId: string, member: string): Promise<MemberRecord | null> {
    const [row] = await this.list(imageId, member);
    return row ?? null;
  }

  async countLive(imageId: string): Promise<number> {
    const rows: Array<{ n: string | number }> = await this.dataSource.manager.query(
      'SELECT count(*) AS n FROM image_members WHERE image_id = $1::uuid AND deleted = false',
      [imageId],
    );
    return Number(rows[0].n);
  }

  /**
   * Adds a pending member, reviving a removed one (which keeps its created_at), in one statement.
   * null when the project is a live member already.
   */
  async add(imageId: string, member: string, at: Date): Promise<MemberRecord | null> {
    const [row] = await this.run(
      `WITH i AS (INSERT INTO image_members (image_id, member, status, can_share, created_at, updated_at)
         VALUES ($1::uuid, $2::varchar, 'pending', false, $3::timestamptz, $3::timestamptz)
         ON CONFLICT (image_id, member) DO UPDATE
           SET status = 'pending', can_share = false, deleted = false, deleted_at = NULL, updated_at = $3::timestamptz
           WHERE image_members.deleted = true
         RETURNING ${COLUMNS})
       SELECT * FROM i`,
      [imageId, member, at.toISOString()],
    );
    return row ?? null;
  }

  /** Sets a live member's status (a save even when unchanged, as Glance); null when it is gone. */
  async setStatus(
    imageId: string,
    member: string,
    status: MemberStatus,
    at: Date,
  ): Promise<MemberRecord | null> {
    const [row] = await this.run(
      `WITH u AS (UPDATE image_members SET status = $3::varchar, updated_at = $4::timestamptz
         WHERE image_id = $1::uuid AND member = $2::varchar AND deleted = false
         RETURNING ${COLUMNS})
       SELECT * FROM u`,
      [imageId, member, status, at.toISOString()],
    );
    return row ?? null;
  }

  /** Marks a live member removed; false when it was not one. */
  async remove(imageId: string, member: string, at: Date): Promise<boolean> {
    const rows = await this.run(
      `WITH u AS (UPDATE image_members SET deleted = true, deleted_at = $3::timestamptz, updated_at = $3::timestamptz
         WHERE image_id = $1::uuid AND member = $2::varchar AND deleted = false
         RETURNING ${COLUMNS})
       SELECT * FROM u`,
      [imageId, member, at.toISOString()],
    );
    return rows.length > 0;
  }

  /** Removes every member of an image (the image is being deleted). */
  async removeAll(imageId: string, at: Date): Promise<void> {
    await this.dataSource.manager.query(
      `UPDATE image_members SET deleted = true, deleted_at = $2::timestamptz, updated_at = $2::timestamptz
       WHERE image_id = $1::uuid AND deleted = false`,
      [imageId, at.toISOString()],
    );
  }
}
