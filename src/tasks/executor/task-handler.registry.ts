import { Injectable } from '@nestjs/common';
import type { TaskHandler, TaskResult, TaskRunContext } from './task-handler.js';

/**
 * Which code runs a task, by task type. Feature modules register their handlers while the
 * application starts (in `onModuleInit`), before the executor takes work.
 */
@Injectable()
export class TaskHandlerRegistry {
  private readonly handlers = new Map<string, TaskHandler>();

  register(
    type: string,
    handler: TaskHandler | ((ctx: TaskRunContext) => Promise<TaskResult>),
    options: { idempotent?: boolean } = {},
  ): void {
    if (this.handlers.has(type))
      throw new Error(`a handler for tasks of type '${type}' is already registered`);
    const h: TaskHandler =
      typeof handler === 'function' ? { run: handler, idempotent: options.idempotent ?? false } : handler;
    this.handlers.set(type, h);
  }

  /** Drops a handler (tests, or a module that turns a feature off). */
  unregister(type: string): void {
    this.handlers.delete(type);
  }

  get(type: string): TaskHandler | undefined {
    return this.handlers.get(type);
  }
}
