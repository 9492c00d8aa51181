import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const TASK_STATUSES = ['pending', 'processing', 'success', 'failure'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Task types in Glance's task schema. */
export const TASK_TYPES = ['import', 'api_image_import', 'location_import'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/**
 * One asynchronous task (Glance's `tasks` and `task_info` rows in one table). `progress_*` are
 * Glint's additions: byte progress of a running import, never shown in Glance's task documents.
 */
@Entity({ name: 'tasks' })
@Index('ix_tasks_owner_created', ['owner', 'createdAt', 'id'])
@Index('ix_tasks_created', ['createdAt', 'id'])
@Index('ix_tasks_status', ['status'])
@Index('ix_tasks_type', ['type'])
@Index('ix_tasks_image_id', ['imageId'])
@Index('ix_tasks_expires_at', ['expiresAt'])
export class TaskEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 30 })
  type: string;

  @Column({ type: 'varchar', length: 30 })
  status: TaskStatus;

  /** The project that created the task; null for callers without one (noauth). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  owner: string | null;

  @Column({ name: 'user_id', type: 'varchar', length: 255, nullable: true })
  userId: string | null;

  /** The creator's roles, for work that depends on them (import plugins); never shown. */
  @Column({ name: 'user_roles', type: 'jsonb', nullable: true })
  userRoles: string[] | null;

  @Column({ name: 'request_id', type: 'varchar', length: 255, nullable: true })
  requestId: string | null;

  @Column({ name: 'image_id', type: 'varchar', length: 255, nullable: true })
  imageId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  input: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  @Column({ type: 'text', default: '' })
  message: string;

  @Column({ name: 'progress_bytes', type: 'bigint', nullable: true })
  progressBytes: string | null;

  @Column({ name: 'progress_total', type: 'bigint', nullable: true })
  progressTotal: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'boolean', default: false })
  deleted: boolean;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
