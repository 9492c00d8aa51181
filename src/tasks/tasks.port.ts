import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { TasksService } from './tasks.service.js';
import type { QueryPairs, TaskList } from './tasks.service.js';
import type { TaskDocument } from './task-view.js';

/**
 * What the /v2/tasks routes call: TasksService in the process that holds the database
 * (GLINT_ROLE=all), or the registry, which runs it there (GLINT_ROLE=api, src/registry).
 */
export abstract class TasksApi {
  abstract create(
    ctx: RequestContext,
    type: string,
    input: Record<string, unknown> | null,
  ): Promise<TaskDocument>;
  abstract get(ctx: RequestContext, id: string): Promise<TaskDocument>;
  abstract list(ctx: RequestContext, query: QueryPairs): Promise<TaskList>;
}

@Injectable()
export class LocalTasksApi extends TasksApi {
  constructor(private readonly tasks: TasksService) {
    super();
  }
  create(ctx: RequestContext, type: string, input: Record<string, unknown> | null): Promise<TaskDocument> {
    return this.tasks.createFromApi(ctx, type, input);
  }
  get(ctx: RequestContext, id: string): Promise<TaskDocument> {
    return this.tasks.get(ctx, id);
  }
  list(ctx: RequestContext, query: QueryPairs): Promise<TaskList> {
    return this.tasks.list(ctx, query);
  }
}
