import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Notifier } from '../notifications/notifier.js';
import { TasksRepository } from './tasks.repository.js';
import type { TaskPatch } from './tasks.repository.js';
import type { TaskEntity, TaskStatus } from './task.entity.js';
import { sourcesOf } from './task-status.js';
import { toTaskNotification } from './task-view.js';

/** Glint's extra event: byte progress of a running task, in addition to Glance's task.* events. */
export const PROGRESS_EVENT = 'image.import.progress';

/**
 * Moves tasks through their states. Every move is a compare-and-set on the current status, so
 * two processes cannot both finish a task, and each successful move sends Glance's event.
 */
@Injectable()
export class TaskLifecycle {
  private readonly ttlMs: number;

  constructor(
    private readonly repo: TasksRepository,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.glance.task.task_time_to_live * 3_600_000;
  }

  find(id: string): Promise<TaskEntity | null> {
    return this.repo.findById(id);
  }

  pendingIds(limit: number): Promise<string[]> {
    return this.repo.idsByStatus('pending', limit);
  }

  private async move(
    id: string,
    to: TaskStatus,
    patch: TaskPatch,
    event: string,
  ): Promise<TaskEntity | null> {
    const now = new Date();
    const task = await this.repo.transition(id, sourcesOf(to), { ...patch, status: to }, now);
    if (task) this.notifier.notify(event, toTaskNotification(task, now));
    return task;
  }

  /** pending → processing. Null when the task was not pending (another worker has it, or it ended). */
  begin(id: string): Promise<TaskEntity | null> {
    return this.move(id, 'processing', {}, 'task.processing');
  }

  /** processing → success, with the result, and the expiry clock started. */
  succeed(id: string, result: Record<string, unknown> | null): Promise<TaskEntity | null> {
    return this.move(id, 'success', { result, expiresAt: new Date(Date.now() + this.ttlMs) }, 'task.success');
  }

  /** pending or processing → failure, with the reason as the message. */
  fail(id: string, message: string): Promise<TaskEntity | null> {
    return this.move(
      id,
      'failure',
      { message, expiresAt: new Date(Date.now() + this.ttlMs) },
      'task.failure',
    );
  }

  /** Glance's task.run: sent once the executor is done with a task, whatever the outcome. */
  ran(task: TaskEntity): void {
    this.notifier.notify('task.run', toTaskNotification(task));
  }

  /** Updates a running task's message; false once the task is no longer running. */
  async setMessage(id: string, message: string): Promise<boolean> {
    return (await this.repo.transition(id, ['processing'], { message }, new Date())) !== null;
  }

  /** Stores byte progress on a running task and announces it. */
  async setProgress(id: string, bytes: number, total: number | null, message?: string): Promise<boolean> {
    const patch: TaskPatch = {
      progressBytes: String(Math.max(0, Math.floor(bytes))),
      progressTotal: total === null ? null : String(Math.max(0, Math.floor(total))),
    };
    if (message !== undefined) patch.message = message;
    const task = await this.repo.transition(id, ['processing'], patch, new Date());
    if (!task) return false;
    this.notifier.notify(PROGRESS_EVENT, {
      task_id: task.id,
      task_type: task.type,
      image_id: task.imageId,
      owner: task.owner,
      bytes: Number(task.progressBytes),
      total: task.progressTotal === null ? null : Number(task.progressTotal),
      percent:
        task.progressTotal && Number(task.progressTotal) > 0
          ? Math.min(100, Math.floor((Number(task.progressBytes) * 100) / Number(task.progressTotal)))
          : null,
      message: task.message,
      updated_at: task.updatedAt.toISOString(),
    });
    return true;
  }
}
