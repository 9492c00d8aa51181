import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets } from 'typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { TaskEntity } from './task.entity.js';
import type { TaskStatus } from './task.entity.js';

/** Columns a list may be sorted by, as SQL over alias `t`; nullable ones are coalesced so paging is total. */
const SORT_EXPRESSIONS: Record<string, string> = {
  id: 't.id',
  type: 't.type',
  status: 't.status',
  owner: "COALESCE(t.owner, '')",
  image_id: "COALESCE(t.image_id, '')",
  request_id: "COALESCE(t.request_id, '')",
  user_id: "COALESCE(t.user_id, '')",
  expires_at: "COALESCE(t.expires_at, '-infinity'::timestamptz)",
  created_at: 't.created_at',
  updated_at: 't.updated_at',
  deleted: 't.deleted',
  deleted_at: "COALESCE(t.deleted_at, '-infinity'::timestamptz)",
};
export const SORTABLE_COLUMNS = Object.keys(SORT_EXPRESSIONS);

/** Columns a list may filter on by equality (text columns: other values cannot be compared safely). */
const FILTER_COLUMNS: Record<string, string> = {
  id: 't.id',
  type: 't.type',
  status: 't.status',
  owner: 't.owner',
  image_id: 't.image_id',
  request_id: 't.request_id',
  user_id: 't.user_id',
};
export const FILTERABLE_COLUMNS = Object.keys(FILTER_COLUMNS);

export interface TaskListQuery {
  /** undefined: every owner (admins); a string: that project; null: tasks without an owner. */
  owner?: string | null;
  filters: Record<string, string>;
  markerId?: string;
  limit: number;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

export type TaskPatch = Partial<
  Pick<TaskEntity, 'status' | 'result' | 'message' | 'expiresAt' | 'progressBytes' | 'progressTotal'>
>;

@Injectable()
export class TasksRepository {
  constructor(@InjectRepository(TaskEntity) private readonly repo: Repository<TaskEntity>) {}

  async insert(task: TaskEntity): Promise<void> {
    await this.repo.insert(task as QueryDeepPartialEntity<TaskEntity>);
  }

  private live(now: Date): SelectQueryBuilder<TaskEntity> {
    return this.repo
      .createQueryBuilder('t')
      .where('t.deleted = false')
      .andWhere('(t.expires_at IS NULL OR t.expires_at > :now)', { now });
  }

  /** A task that is neither deleted nor expired. */
  findLive(id: string, now: Date): Promise<TaskEntity | null> {
    return this.live(now).andWhere('t.id = :id', { id }).getOne();
  }

  /** Any task by id, whatever its state (the executor's view). */
  findById(id: string): Promise<TaskEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Marks expired tasks deleted, as Glance does lazily when tasks are listed. */
  async softDeleteExpired(now: Date): Promise<number> {
    const res = await this.repo
      .createQueryBuilder()
      .update(TaskEntity)
      .set({ deleted: true, deletedAt: now })
      .where('deleted = false AND expires_at <= :now', { now })
      .execute();
    return res.affected ?? 0;
  }

  list(q: TaskListQuery, now: Date): Promise<TaskEntity[]> {
    const qb = this.live(now);
    if (q.owner === null) qb.andWhere('t.owner IS NULL');
    else if (q.owner !== undefined) qb.andWhere('t.owner = :owner', { owner: q.owner });
    for (const [name, value] of Object.entries(q.filters)) {
      const column = FILTER_COLUMNS[name];
      if (column) qb.andWhere(`${column} = :f_${name}`, { [`f_${name}`]: value });
    }
    // Glance sorts by the key, then created_at and id, all in one direction.
    const keys = [...new Set([q.sortKey, 'created_at', 'id'])].map((k) => SORT_EXPRESSIONS[k]);
    const dir = q.sortDir === 'asc' ? 'ASC' : 'DESC';
    if (q.markerId) {
      const markerKeys = keys.map((k) => k.replace(/\bt\./g, 'm.'));
      qb.andWhere(
        new Brackets((w) =>
          w.where(
            `(${keys.join(', ')}) ${dir === 'ASC' ? '>' : '<'} ` +
              `(SELECT ${markerKeys.join(', ')} FROM tasks m WHERE m.id = :marker)`,
            { marker: q.markerId },
          ),
        ),
      );
    }
    keys.forEach((k, i) => (i === 0 ? qb.orderBy(k, dir) : qb.addOrderBy(k, dir)));
    return qb.limit(q.limit).getMany();
  }

  /** Live tasks of one image; `owner` undefined means every owner. */
  findLiveByImage(imageId: string, owner: string | null | undefined, now: Date): Promise<TaskEntity[]> {
    const qb = this.live(now).andWhere('t.image_id = :imageId', { imageId });
    if (owner !== undefined) qb.andWhere('(t.owner IS NULL OR t.owner = :owner)', { owner });
    return qb.orderBy('t.created_at', 'ASC').addOrderBy('t.id', 'ASC').getMany();
  }

  /**
   * Compare-and-set: applies `patch` only while the task is in one of `from`, so two workers (or a
   * worker and the stale-task reaper) cannot both move it. Returns the updated task, or null.
   */
  async transition(
    id: string,
    from: readonly TaskStatus[],
    patch: TaskPatch,
    now: Date,
  ): Promise<TaskEntity | null> {
    const res = await this.repo
      .createQueryBuilder()
      .update(TaskEntity)
      .set({ ...patch, updatedAt: now } as QueryDeepPartialEntity<TaskEntity>)
      .where('id = :id AND status IN (:...from)', { id, from })
      .execute();
    if (!res.affected) return null;
    return this.findById(id);
  }

  /** Ids of tasks in `status`, oldest first (the executor re-queues pending ones after a crash). */
  async idsByStatus(status: TaskStatus, limit: number): Promise<string[]> {
    const rows = await this.repo.find({
      select: { id: true },
      where: { status, deleted: false },
      order: { createdAt: 'ASC' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }
}
