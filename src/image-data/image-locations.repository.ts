import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ImageLocation } from '../stores/store-registry.js';

/** A location row: where one copy of an image's data lives. */
export interface StoredLocation extends ImageLocation {
  id: string;
  status: LocationStatus;
}

/**
 * `active`: data an image serves; `staged`: glance-direct data waiting for import;
 * `pending_delete`: data of a deleted image kept for the scrubber (delayed_delete).
 */
export type LocationStatus = 'active' | 'staged' | 'pending_delete';

/** A location kept for the scrubber, with the deleted image it belonged to. */
export interface PendingLocation extends StoredLocation {
  imageId: string;
}

/** The advisory lock key of the scrubber (any fixed number no other lock of this database uses). */
export const SCRUB_LOCK_KEY = '7420516311';

interface LocationRow {
  id: string;
  url: string;
  metadata: Record<string, unknown> | string;
  status: LocationStatus;
}

function toLocation(row: LocationRow): StoredLocation {
  const metadata =
    typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as Record<string, unknown>) : row.metadata;
  return { id: String(row.id), url: row.url, metadata, status: row.status };
}

/** The location repository port (SQL here, or the registry client with GLINT_ROLE=api). */
export abstract class ImageLocationsRepository {
  abstract list(imageId: string, status?: LocationStatus): Promise<StoredLocation[]>;
  /** Every location of an image whatever its state (image delete removes them all). */
  abstract listAll(imageId: string): Promise<StoredLocation[]>;
  abstract add(imageId: string, location: ImageLocation, status?: LocationStatus): Promise<void>;
  /** Makes `locations`, in this order, the image's active locations (staged and others stay); one transaction. */
  abstract setActive(imageId: string, locations: ImageLocation[]): Promise<void>;
  abstract remove(id: string): Promise<void>;
  abstract setStatus(id: string, status: LocationStatus): Promise<void>;
  /**
   * Locations the scrubber may remove: kept by delayed_delete for an image deleted at or before
   * `deletedBefore`, in id order after `afterId`.
   */
  abstract pendingDelete(limit: number, deletedBefore: Date, afterId?: string): Promise<PendingLocation[]>;
  /** Whether a location other than `exceptId` still points at `url` (its data must stay). */
  abstract referencedElsewhere(url: string, exceptId: string): Promise<boolean>;
  /**
   * Runs `work` while this process holds the deployment-wide scrubber lock; undefined when
   * another process holds it.
   */
  abstract whileScrubLockHeld<T>(embedded: boolean, work: () => Promise<T>): Promise<T | undefined>;
  /** Bytes a project stores (Glance's legacy user_storage_quota count). */
  abstract projectUsage(owner: string | null): Promise<number>;
}

@Injectable()
export class SqlImageLocationsRepository extends ImageLocationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async list(imageId: string, status: LocationStatus = 'active'): Promise<StoredLocation[]> {
    const rows: LocationRow[] = await this.dataSource.query(
      `SELECT id, url, metadata, status FROM image_locations
       WHERE image_id = $1::uuid AND status = $2::varchar ORDER BY position, id`,
      [imageId, status],
    );
    return rows.map(toLocation);
  }

  /** Every location of an image whatever its state (image delete removes them all). */
  async listAll(imageId: string): Promise<StoredLocation[]> {
    const rows: LocationRow[] = await this.dataSource.query(
      `SELECT id, url, metadata, status FROM image_locations WHERE image_id = $1::uuid ORDER BY position, id`,
      [imageId],
    );
    return rows.map(toLocation);
  }

  async add(imageId: string, location: ImageLocation, status: LocationStatus = 'active'): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO image_locations (image_id, url, metadata, status, position)
       SELECT $1::uuid, $2::text, $3::jsonb, $4::varchar,
              coalesce((SELECT max(position) + 1 FROM image_locations WHERE image_id = $1::uuid), 0)`,
      [imageId, location.url, JSON.stringify(location.metadata), status],
    );
  }

  /** Makes `locations`, in this order, the image's active locations (staged and others stay). */
  async setActive(imageId: string, locations: ImageLocation[]): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query(`DELETE FROM image_locations WHERE image_id = $1::uuid AND status = 'active'`, [
        imageId,
      ]);
      for (const [position, l] of locations.entries()) {
        await em.query(
          `INSERT INTO image_locations (image_id, url, metadata, status, position)
           VALUES ($1::uuid, $2::text, $3::jsonb, 'active', $4::int)`,
          [imageId, l.url, JSON.stringify(l.metadata), position],
        );
      }
    });
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM image_locations WHERE id = $1::bigint`, [id]);
  }

  async setStatus(id: string, status: LocationStatus): Promise<void> {
    await this.dataSource.query(`UPDATE image_locations SET status = $2::varchar WHERE id = $1::bigint`, [
      id,
      status,
    ]);
  }

  /**
   * Locations the scrubber may remove: kept by delayed_delete for an image deleted at or before
   * `deletedBefore`, in id order after `afterId`.
   */
  async pendingDelete(limit: number, deletedBefore: Date, afterId = '0'): Promise<PendingLocation[]> {
    const rows: Array<LocationRow & { image_id: string }> = await this.dataSource.query(
      `SELECT l.id, l.url, l.metadata, l.status, l.image_id FROM image_locations l JOIN images i ON i.id = l.image_id
       WHERE l.status = 'pending_delete' AND i.deleted = true AND i.deleted_at <= $2::timestamptz
         AND l.id > $3::bigint
       ORDER BY l.id LIMIT $1::int`,
      [limit, deletedBefore.toISOString(), afterId],
    );
    return rows.map((row) => ({ ...toLocation(row), imageId: String(row.image_id) }));
  }

  /** Whether data at `url` is still served by a location other than `exceptId` (then it must stay). */
  async referencedElsewhere(url: string, exceptId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM image_locations l JOIN images i ON i.id = l.image_id
       WHERE l.url = $1::text AND l.id <> $2::bigint AND (l.status <> 'pending_delete' OR i.deleted = false)
       LIMIT 1`,
      [url, exceptId],
    );
    return rows.length > 0;
  }

  /**
   * Runs `work` only if no other process is scrubbing: a PostgreSQL session advisory lock, held on
   * a connection of its own for the whole pass (and dropped with it if the process dies). The
   * embedded database belongs to one process, so there `work` simply runs. Resolves undefined when
   * another process holds the lock.
   */
  async whileScrubLockHeld<T>(embedded: boolean, work: () => Promise<T>): Promise<T | undefined> {
    if (embedded) return work();
    const runner = this.dataSource.createQueryRunner();
    try {
      const rows = (await runner.query(`SELECT pg_try_advisory_lock($1::bigint) AS locked`, [
        SCRUB_LOCK_KEY,
      ])) as Array<{ locked: boolean }>;
      if (!rows[0]?.locked) return undefined;
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1::bigint)`, [SCRUB_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Bytes a project stores, as Glance's legacy user_storage_quota counts them: size times the
   * number of locations, over images not deleted, killed or pending delete.
   */
  async projectUsage(owner: string | null): Promise<number> {
    const [row]: Array<{ used: string | null }> = await this.dataSource.query(
      `SELECT sum(coalesce(i.size, 0) * (SELECT count(*) FROM image_locations l
                                          WHERE l.image_id = i.id AND l.status = 'active')) AS used
       FROM images i
       WHERE i.owner IS NOT DISTINCT FROM $1::varchar AND i.deleted = false
         AND i.status NOT IN ('killed', 'deleted', 'pending_delete')`,
      [owner],
    );
    return Number(row?.used ?? 0);
  }
}
