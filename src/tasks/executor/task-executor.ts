import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { TaskEntity } from '../task.entity.js';
import { TaskLifecycle } from '../task-lifecycle.service.js';
import { isTerminal } from '../task-status.js';
import { JOB_SCHEMA, createJobQueue } from './job-queue.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import type { TaskHandler, TaskProgress, TaskRunContext, TaskSnapshot } from './task-handler.js';

const QUEUE = 'glint-tasks';
/** Jobs whose retries ran out land here, so their task can be failed instead of left running. */
const DEAD_QUEUE = 'glint-tasks-dead';
/** How many pending tasks a starting process re-queues at most (their job may have been lost). */
const RECOVERY_BATCH = 1000;
const PROGRESS_FLUSH_MS = 1000;

interface TaskJob {
  taskId: string;
  secrets?: Record<string, string>;
}

export const INTERRUPTED_MESSAGE =
  'The task was interrupted: the worker running it stopped before it finished, and this task type cannot be resumed.';
export const ABANDONED_MESSAGE =
  'The task was abandoned: its worker stopped responding and no further attempt is allowed.';

export function noHandlerMessage(type: string): string {
  return `Tasks of type '${type}' cannot run on this server: no handler is registered for them.`;
}

/** Raised inside a job when the process is stopping, so the job is retried instead of the task failed. */
class ShuttingDown extends Error {}

/**
 * Runs tasks durably on the database with pg-boss: a task is a job whose id is the task id, so
 * queuing is idempotent, every process on the database shares the work, a job outlives the process
 * that queued it, and a job whose worker stops heartbeating (or outlives its bound) is retried;
 * the retry decides from the task's state whether to run it again or fail it.
 */
@Injectable()
export class TaskExecutor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TaskExecutor');
  private boss?: PgBoss;
  private readonly workerIds: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private stopping = false;
  private started?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly lifecycle: TaskLifecycle,
    private readonly registry: TaskHandlerRegistry,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<void> {
    const cfg = this.config.tasks;
    const boss = createJobQueue(this.dataSource, this.config.database.url, cfg);
    boss.on('error', (err: unknown) => this.logger.error({ err }, 'job queue error'));
    await boss.start();
    this.boss = boss;
    await boss.createQueue(DEAD_QUEUE, { retryLimit: 5, retryDelay: 5 });
    const queue = {
      retryLimit: 2,
      retryDelay: 1,
      expireInSeconds: cfg.maxRuntimeSeconds,
      heartbeatSeconds: cfg.heartbeatSeconds,
      deadLetter: DEAD_QUEUE,
      deleteAfterSeconds: 86_400,
    };
    await boss.createQueue(QUEUE, queue);
    // createQueue leaves an existing queue alone; settings may have changed since it was made.
    await boss.updateQueue(QUEUE, queue);
    if (cfg.concurrency === 0) return;
    const work = { batchSize: 1, localConcurrency: cfg.concurrency, pollingIntervalSeconds: cfg.pollSeconds };
    this.workerIds.push(await boss.work<TaskJob>(QUEUE, work, ([job]) => this.runJob(job)));
    // Dead-lettered jobs are rare and not urgent: one slow poller is enough.
    const dead = { ...work, localConcurrency: 1, pollingIntervalSeconds: Math.max(30, cfg.pollSeconds) };
    this.workerIds.push(await boss.work<TaskJob>(DEAD_QUEUE, dead, ([job]) => this.buryJob(job)));
    await this.requeuePending();
  }

  /** Queues a stored task for execution; safe to call more than once for the same task. */
  async submit(taskId: string, secrets?: Record<string, string>): Promise<void> {
    await this.onApplicationBootstrap();
    await this.boss!.send(QUEUE, { taskId, ...(secrets ? { secrets } : {}) } satisfies TaskJob, {
      id: taskId,
    });
    // Local workers would otherwise wait for their next poll.
    for (const id of this.workerIds) this.boss!.notifyWorker(id);
  }

  /** Tells a handler running the task in this process to stop (the task was ended from elsewhere). */
  abortLocal(taskId: string, reason: string): void {
    this.running.get(taskId)?.abort(new Error(reason));
  }

  /** A task stored as pending whose job never made it (the process died in between) is queued again. */
  private async requeuePending(): Promise<void> {
    const ids = await this.lifecycle.pendingIds(RECOVERY_BATCH);
    for (const id of ids) await this.boss!.send(QUEUE, { taskId: id } satisfies TaskJob, { id });
    if (ids.length) for (const id of this.workerIds) this.boss!.notifyWorker(id);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.started) await this.started.catch(() => undefined);
    for (const controller of this.running.values())
      controller.abort(new ShuttingDown('the process is stopping'));
    // Handlers were told to stop; a job still active after the grace is failed by pg-boss and retried elsewhere.
    await this.boss?.stop({ graceful: true, timeout: 5_000 });
  }

  private async runJob(job: Job<TaskJob>): Promise<void> {
    await this.runTask(job);
    // The task has ended (or had already): nothing may use the credentials it was handed again,
    // so they do not wait in the job table for its retention to run out. A run cut short throws
    // before this, and its next attempt still finds them.
    if (job.data.secrets) await this.forgetSecrets(job.data.taskId);
  }

  private async runTask(job: Job<TaskJob>): Promise<void> {
    const taskId = job.data.taskId;
    let task = await this.lifecycle.find(taskId);
    if (!task || isTerminal(task.status)) return;
    const handler = this.registry.get(task.type);
    let attempt = 1;
    if (task.status === 'pending') {
      if (!handler) {
        await this.finish(await this.lifecycle.fail(taskId, noHandlerMessage(task.type)));
        return;
      }
      task = await this.lifecycle.begin(taskId);
      if (!task) return;
    } else {
      // Still processing: the worker of an earlier attempt died or was stopped mid-way.
      if (!handler?.idempotent) {
        await this.finish(await this.lifecycle.fail(taskId, INTERRUPTED_MESSAGE));
        await this.recover(task, handler);
        return;
      }
      attempt = job.retryCount + 1;
    }
    await this.execute(task, handler, attempt, job.signal, job.data.secrets ?? {});
  }

  /** Lets the handler undo what a run that died mid-way left behind. */
  private async recover(task: TaskEntity, handler: TaskHandler | undefined): Promise<void> {
    if (!handler?.recover) return;
    try {
      await handler.recover(snapshot(task));
    } catch (err) {
      this.logger.error({ err, taskId: task.id }, 'could not clean up after an interrupted task');
    }
  }

  private async execute(
    task: TaskEntity,
    handler: TaskHandler,
    attempt: number,
    jobSignal: AbortSignal,
    secrets: Record<string, string>,
  ) {
    const controller = new AbortController();
    const onJobAbort = () => controller.abort(jobSignal.reason);
    jobSignal.addEventListener('abort', onJobAbort, { once: true });
    this.running.set(task.id, controller);
    const progress = new ProgressWriter(this.lifecycle, task.id);
    const ctx: TaskRunContext = {
      task: snapshot(task),
      attempt,
      secrets,
      signal: controller.signal,
      setMessage: async (message) => {
        await this.lifecycle.setMessage(task.id, message);
      },
      reportProgress: (p) => progress.report(p),
    };
    try {
      let result: Record<string, unknown> | null;
      try {
        result = (await handler.run(ctx)) ?? null;
      } catch (err) {
        // Stopped by this process's shutdown, or the job's claim was lost (expired, taken over):
        // the task's fate is the job's next attempt's to decide, not this worker's.
        if (controller.signal.aborted && (this.stopping || jobSignal.aborted)) {
          throw new ShuttingDown('the run was cut short');
        }
        await progress.flush();
        await this.finish(await this.lifecycle.fail(task.id, failureMessage(err)));
        return;
      }
      await progress.flush();
      await this.finish(await this.lifecycle.succeed(task.id, result));
    } finally {
      jobSignal.removeEventListener('abort', onJobAbort);
      this.running.delete(task.id);
      progress.close();
    }
  }

  /** A job that used up its retries: make sure its task does not stay pending or processing. */
  private async buryJob(job: Job<TaskJob>): Promise<void> {
    const task = await this.lifecycle.find(job.data.taskId);
    if (task && !isTerminal(task.status)) {
      const wasRunning = task.status === 'processing';
      await this.finish(await this.lifecycle.fail(task.id, ABANDONED_MESSAGE));
      if (wasRunning) await this.recover(task, this.registry.get(task.type));
    }
    if (job.data.secrets) await this.forgetSecrets(job.data.taskId);
  }

  /** Removes a task's credentials from its job and from the job's dead-letter copy. */
  private async forgetSecrets(taskId: string): Promise<void> {
    try {
      await this.dataSource.query(
        // The job's id is the task's; its dead-letter copy has an id of its own (and is rare).
        `UPDATE ${JOB_SCHEMA}.job SET data = data - 'secrets'
          WHERE ((name = $1 AND id = $3::uuid) OR (name = $2 AND data->>'taskId' = $3::text))
            AND data->'secrets' IS NOT NULL`,
        [QUEUE, DEAD_QUEUE, taskId],
      );
    } catch (err) {
      this.logger.error({ err, taskId }, 'could not remove the credentials of a finished task from its job');
    }
  }

  private async finish(task: TaskEntity | null): Promise<void> {
    if (task) this.lifecycle.ran(task);
    return Promise.resolve();
  }
}

function snapshot(task: TaskEntity): TaskSnapshot {
  return {
    id: task.id,
    type: task.type,
    owner: task.owner,
    userId: task.userId,
    roles: task.userRoles ?? [],
    requestId: task.requestId,
    imageId: task.imageId,
    input: task.input,
  };
}

function failureMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return typeof err === 'string' && err ? err : 'Task failed due to Internal Error';
}

/** Coalesces a handler's per-chunk progress into about one database write a second. */
class ProgressWriter {
  private latest?: TaskProgress;
  private timer?: NodeJS.Timeout;
  private lastWrite = 0;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lifecycle: TaskLifecycle,
    private readonly taskId: string,
  ) {}

  report(p: TaskProgress): Promise<void> {
    this.latest = p;
    const wait = this.lastWrite + PROGRESS_FLUSH_MS - Date.now();
    if (wait <= 0) return this.flush();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    return Promise.resolve();
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const p = this.latest;
    this.latest = undefined;
    if (!p) return this.writing.then(() => undefined);
    this.lastWrite = Date.now();
    const write = this.writing.then(() =>
      this.lifecycle.setProgress(this.taskId, p.bytes, p.total ?? null, p.message).catch(() => false),
    );
    this.writing = write;
    return write.then(() => undefined);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
