import type { TaskEntity } from './task.entity.js';
import type { GlanceImageTask } from '../client/contract.js';

/** Glance's `timeutils.isotime`: whole seconds, `Z`. */
export function isotime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A database row's timestamp as Glance's image-tasks call prints it: microseconds, no zone. */
function rowTime(date: Date | null): string | null {
  if (!date) return null;
  const iso = date.toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000`;
}

export function taskSelf(id: string): string {
  return `/v2/tasks/${id}`;
}

export interface TaskDocument {
  id: string;
  input: Record<string, unknown> | null;
  type: string;
  status: string;
  owner: string | null;
  message: string;
  result: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  self: string;
  schema: string;
  image_id?: string;
  request_id?: string;
  user_id?: string;
  expires_at?: string;
}

/** `GET /v2/tasks/{id}` and `POST /v2/tasks`: optional fields are left out when empty. */
export function toTaskDocument(task: TaskEntity): TaskDocument {
  const doc: TaskDocument = {
    id: task.id,
    input: task.input,
    type: task.type,
    status: task.status,
    owner: task.owner,
    message: task.message ?? '',
    result: task.result,
    created_at: isotime(task.createdAt),
    updated_at: isotime(task.updatedAt),
    self: taskSelf(task.id),
    schema: '/v2/schemas/task',
  };
  if (task.imageId) doc.image_id = task.imageId;
  if (task.requestId) doc.request_id = task.requestId;
  if (task.userId) doc.user_id = task.userId;
  if (task.expiresAt) doc.expires_at = isotime(task.expiresAt);
  return doc;
}

export type TaskStub = Pick<
  TaskDocument,
  'id' | 'type' | 'status' | 'owner' | 'created_at' | 'updated_at' | 'self' | 'schema' | 'expires_at'
>;

/** List entries: no input, result or message (they may hold URLs with credentials), nor the ids. */
export function toTaskStub(task: TaskEntity): TaskStub {
  const stub: TaskStub = {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    created_at: isotime(task.createdAt),
    updated_at: isotime(task.updatedAt),
    self: taskSelf(task.id),
    schema: '/v2/schemas/task',
  };
  if (task.expiresAt) stub.expires_at = isotime(task.expiresAt);
  return stub;
}

/** An entry of GET /v2/images/{id}/tasks: the mesh contract's type. */
export type ImageTaskRow = GlanceImageTask;

/**
 * `GET /v2/images/{id}/tasks` returns Glance's database rows as they are, so the format differs
 * from the tasks API: microsecond timestamps without a zone, nulls kept, `deleted` included.
 * Glint's byte-progress columns come last, an addition clients that do not know them ignore.
 */
export function toImageTaskRow(task: TaskEntity): ImageTaskRow {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    image_id: task.imageId,
    request_id: task.requestId,
    user_id: task.userId,
    input: task.input,
    result: task.result,
    message: task.message ?? '',
    expires_at: rowTime(task.expiresAt),
    created_at: rowTime(task.createdAt),
    updated_at: rowTime(task.updatedAt),
    deleted_at: rowTime(task.deletedAt),
    deleted: task.deleted,
    progress_bytes: task.progressBytes === null ? null : Number(task.progressBytes),
    progress_total: task.progressTotal === null ? null : Number(task.progressTotal),
  };
}

/**
 * The `task.*` notification payload. Input, result and message are blanked on purpose: they can
 * carry source URLs with credentials. A task that has not finished has no expiry, and Glance's
 * isotime() prints the current time for a missing one, so consumers get that here too.
 */
export function toTaskNotification(task: TaskEntity, now: Date = new Date()) {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    result: null,
    owner: task.owner,
    message: null,
    expires_at: isotime(task.expiresAt ?? now),
    created_at: isotime(task.createdAt),
    updated_at: isotime(task.updatedAt),
    deleted: false,
    deleted_at: null,
  };
}
