import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
import { ForbiddenError, InvalidError, NotFoundError } from '../common/errors/domain-errors.js';
import { Notifier } from '../notifications/notifier.js';
import { PolicyService } from '../policy/policy.service.js';
import { TaskExecutor } from './executor/task-executor.js';
import { TaskLifecycle } from './task-lifecycle.service.js';
import { passesImportFilter } from './import-uri-filter.js';
import { pyStr } from '../common/python-repr.js';
import { TaskEntity, TASK_STATUSES } from './task.entity.js';
import { SORTABLE_COLUMNS, TasksRepository } from './tasks.repository.js';
import { toTaskDocument, toTaskNotification, toTaskStub } from './task-view.js';
import { imageTasksBody, SqlImageTasksSource } from './image-tasks.source.js';
import type { ImageTaskRow, TaskDocument, TaskStub } from './task-view.js';

/** A task to store and run. */
export interface NewTask {
  type: string;
  input: Record<string, unknown> | null;
  /** The image the task works on (shown by GET /v2/images/{id}/tasks). */
  imageId?: string | null;
  /** A chosen id, when the caller must name the task before storing it (the import lock). */
  id?: string;
  /** Handed to the handler (TaskRunContext.secrets) through the job queue, never stored on the task. */
  secrets?: Record<string, string>;
}

export interface TaskList {
  tasks: TaskStub[];
  first: string;
  next?: string;
  schema: string;
}

/** The query of a list call, as the client sent it (order kept: the paging links repeat it). */
export type QueryPairs = Array<[string, string]>;

const UUID_LIKE = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** oslo's is_uuid_like, answering the canonical form (what the uuid column compares against). */
function canonicalUuid(value: string): string | undefined {
  const m = UUID_LIKE.exec(value.trim());
  return m ? m.slice(1).join('-').toLowerCase() : undefined;
}

/** Python's urlencode (quote_plus): what Glance writes into the `first` and `next` links. */
function urlencode(pairs: Iterable<[string, string]>): string {
  return new URLSearchParams([...pairs]).toString().replace(/\*/g, '%2A').replace(/%7E/g, '~');
}

const RESERVED_LIST_PARAMS = new Set(['limit', 'marker', 'sort_key', 'sort_dir']);

/**
 * Tasks as the API sees them: Glance's checks and messages for creating, listing and showing
 * tasks, visibility by owner, and the expiry that makes finished tasks disappear.
 */
@Injectable()
export class TasksService {
  private readonly logger = new Logger('TasksService');

  constructor(
    private readonly repo: TasksRepository,
    private readonly executor: TaskExecutor,
    private readonly lifecycle: TaskLifecycle,
    private readonly policy: PolicyService,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `POST /v2/tasks` after the body passed the schema. */
  async createFromApi(
    ctx: RequestContext,
    type: string,
    input: Record<string, unknown> | null,
  ): Promise<TaskDocument> {
    this.policy.enforce(ctx, 'add_task');
    if (type === 'import') await this.checkLegacyImportSource(input?.import_from);
    const imageId = input?.image_id;
    if (imageId !== undefined && imageId !== null && (typeof imageId !== 'string' || imageId.length > 255)) {
      throw new InvalidError(`Invalid image id: ${pyStr(imageId)}`);
    }
    const task = await this.createTask(ctx, { type, input, imageId: imageId || null });
    return toTaskDocument(task);
  }

  /** Glance's validate_legacy_import_from_uri: an http(s) URL that passes the import filter. */
  private async checkLegacyImportSource(source: unknown): Promise<void> {
    if (source === undefined || source === null || source === '' || source === 0 || source === false) {
      throw new InvalidError(`Invalid location: ${source === undefined ? 'None' : pyStr(source)}`);
    }
    const uri = typeof source === 'string' ? source : '';
    if (uri.startsWith('file:///') || uri.startsWith('filesystem:///')) {
      throw new InvalidError(
        'File based imports are not allowed. Please use a non-local source of image data.',
      );
    }
    if (!uri.startsWith('http://') && !uri.startsWith('https://')) {
      throw new InvalidError(
        "The given uri is not valid. Please specify a valid uri from the following list of supported uri ['http']",
      );
    }
    if (!(await passesImportFilter(uri, this.config.glance.import_filtering_opts))) {
      throw new InvalidError(`URI for legacy import task does not pass filtering: ${uri}`);
    }
  }

  /**
   * Stores a task (pending, owned by the caller's project), announces it and queues it for the
   * executor. This is how other features start background work, e.g. the import call:
   * `createTask(ctx, { type: 'api_image_import', imageId, input: { image_id, import_req, backend } })`.
   */
  async createTask(ctx: RequestContext, spec: NewTask): Promise<TaskEntity> {
    const now = new Date();
    const task = Object.assign(new TaskEntity(), {
      id: spec.id ?? randomUUID(),
      type: spec.type,
      status: 'pending',
      owner: ctx.projectId,
      userId: ctx.userId,
      userRoles: [...ctx.roles],
      requestId: ctx.requestId || null,
      imageId: spec.imageId ?? null,
      input: spec.input,
      result: null,
      message: '',
      progressBytes: null,
      progressTotal: null,
      expiresAt: null,
      createdAt: now,
      updatedAt: now,
      deleted: false,
      deletedAt: null,
    });
    await this.repo.insert(task);
    this.notifier.notify('task.create', toTaskNotification(task, now));
    try {
      await this.executor.submit(task.id, spec.secrets);
    } catch (err) {
      // The task is stored as pending; the next executor start queues it again.
      this.logger.error(
        { err, taskId: task.id },
        'could not queue the task; it stays pending until a restart',
      );
    }
    return task;
  }

  /** `GET /v2/tasks`. */
  async list(ctx: RequestContext, query: QueryPairs): Promise<TaskList> {
    this.policy.enforce(ctx, 'get_tasks');
    // Duplicate keys: the last value counts, the first position is kept (a Python dict of the params).
    const params = new Map<string, string>();
    for (const [k, v] of query) params.set(k, v);

    const sortDir = params.get('sort_dir') ?? 'desc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw new InvalidError(`Invalid sort direction: ${sortDir}`);
    const filters: Record<string, string> = {};
    for (const [k, v] of params) if (!RESERVED_LIST_PARAMS.has(k)) filters[k] = v;
    if (filters.status && !(TASK_STATUSES as readonly string[]).includes(filters.status)) {
      throw new InvalidError(`Invalid status value: ${filters.status}`);
    }
    if (filters.type && filters.type !== 'import')
      throw new InvalidError(`Invalid type value: ${filters.type}`);
    const rawMarker = params.get('marker');
    let markerId: string | undefined;
    if (rawMarker) {
      markerId = canonicalUuid(rawMarker);
      if (!markerId) throw new InvalidError('Invalid marker format');
    }
    let limit = this.config.glance.limit_param_default;
    const rawLimit = params.get('limit');
    if (rawLimit !== undefined) {
      if (!/^\s*[+-]?\d+\s*$/.test(rawLimit)) throw new InvalidError('limit param must be an integer');
      limit = Number(rawLimit);
      if (limit < 0) throw new InvalidError('limit param must be positive');
    }
    limit = Math.min(limit, this.config.glance.api_limit_max);
    if (filters.id !== undefined) {
      // The id column holds UUIDs; anything else can match nothing.
      const id = canonicalUuid(filters.id);
      if (!id) return this.page([], params, limit);
      filters.id = id;
    }

    const now = new Date();
    await this.repo.softDeleteExpired(now);
    const owner = ctx.isAdmin ? undefined : ctx.projectId;
    if (markerId) {
      const marker = await this.repo.findLive(markerId, now);
      if (!marker) throw new InvalidError(`Task with the given id ${rawMarker} was not found`);
      if (!this.visible(ctx, marker))
        throw new ForbiddenError(`Forbidding request, task ${rawMarker} is not visible`);
    }
    const sortKey = params.get('sort_key') ?? 'created_at';
    if (!SORTABLE_COLUMNS.includes(sortKey)) throw new InvalidError('Sort key supplied was not valid.');
    const tasks =
      limit === 0 ? [] : await this.repo.list({ owner, filters, markerId, limit, sortKey, sortDir }, now);
    return this.page(tasks, params, limit);
  }

  private page(tasks: TaskEntity[], params: Map<string, string>, limit: number): TaskList {
    const rest = [...params].filter(([k]) => k !== 'marker');
    const query = urlencode(rest);
    const body: TaskList = {
      tasks: tasks.map(toTaskStub),
      first: query ? `/v2/tasks?${query}` : '/v2/tasks',
      schema: '/v2/schemas/tasks',
    };
    if (tasks.length !== 0 && tasks.length === limit) {
      const withMarker = new Map(params);
      withMarker.set('marker', tasks[tasks.length - 1].id);
      body.next = `/v2/tasks?${urlencode(withMarker)}`;
    }
    return body;
  }

  /** Glance shows a task to admins, to its owner's project, and (ownerless tasks) to everyone. */
  private visible(ctx: RequestContext, task: TaskEntity): boolean {
    return ctx.isAdmin || task.owner === null || (ctx.projectId !== null && ctx.projectId === task.owner);
  }

  /** `GET /v2/tasks/{id}`. Another project's task reads as missing, as in Glance's task repository. */
  async get(ctx: RequestContext, id: string): Promise<TaskDocument> {
    this.policy.enforce(ctx, 'get_task');
    const uuid = canonicalUuid(id);
    const task = uuid ? await this.repo.findLive(uuid, new Date()) : null;
    if (!task || !this.visible(ctx, task)) throw new NotFoundError(`Could not find task ${id}`);
    return toTaskDocument(task);
  }

  /** A task by id whatever its state or owner, for internal checks (e.g. a stale import lock). */
  findTask(id: string): Promise<TaskEntity | null> {
    const uuid = canonicalUuid(id);
    return uuid ? this.lifecycle.find(uuid) : Promise.resolve(null);
  }

  /**
   * Fails a pending or running task from outside its worker, e.g. when a stale import lock is
   * taken over ("Expired lock preempted"). Null when the task had already finished.
   */
  async failTask(id: string, message: string): Promise<TaskEntity | null> {
    const task = await this.lifecycle.fail(id, message);
    if (!task) return null;
    this.lifecycle.ran(task);
    // A handler running it in this process stops; one elsewhere finds its updates refused.
    this.executor.abortLocal(task.id, message);
    return task;
  }

  /**
   * The body of `GET /v2/images/{id}/tasks`: the image's live tasks that the caller may see (all
   * of them for admins), as raw rows. The caller must have checked that the image is visible
   * (get_image) first; this method knows nothing of images.
   */
  listForImage(ctx: RequestContext, imageId: string): Promise<{ tasks: ImageTaskRow[] }> {
    return imageTasksBody(new SqlImageTasksSource(this.repo), ctx, imageId);
  }
}
