import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import type { TaskEntity } from './task.entity.js';
import { TasksRepository } from './tasks.repository.js';
import { toImageTaskRow } from './task-view.js';
import type { ImageTaskRow } from './task-view.js';

/**
 * What `GET /v2/images/{id}/tasks` reads, as a port: the SQL below, or the registry with
 * GLINT_ROLE=api (one registry operation, so expiry and the read stay together there).
 */
export abstract class ImageTasksSource {
  /** Expires finished tasks, then lists the image's live ones (all, or those `owner` may see). */
  abstract liveForImage(imageId: string, owner: string | null | undefined, now: Date): Promise<TaskEntity[]>;
}

@Injectable()
export class SqlImageTasksSource extends ImageTasksSource {
  constructor(private readonly repo: TasksRepository) {
    super();
  }

  async liveForImage(imageId: string, owner: string | null | undefined, now: Date): Promise<TaskEntity[]> {
    await this.repo.softDeleteExpired(now);
    return this.repo.findLiveByImage(imageId, owner, now);
  }
}

/**
 * The body of `GET /v2/images/{id}/tasks`: the image's live tasks the caller may see (all of
 * them for admins), as raw rows. The caller must have checked that the image is visible.
 */
export async function imageTasksBody(
  source: ImageTasksSource,
  ctx: RequestContext,
  imageId: string,
): Promise<{ tasks: ImageTaskRow[] }> {
  const owner = ctx.isAdmin ? undefined : ctx.projectId;
  const tasks = await source.liveForImage(imageId, owner, new Date());
  return { tasks: tasks.map(toImageTaskRow) };
}
