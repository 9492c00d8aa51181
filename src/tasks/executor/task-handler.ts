/** What a task handler sees of its task. */
export interface TaskSnapshot {
  readonly id: string;
  readonly type: string;
  readonly owner: string | null;
  readonly userId: string | null;
  /** The creator's roles (lower-cased); empty for tasks created before they were recorded. */
  readonly roles: readonly string[];
  readonly requestId: string | null;
  readonly imageId: string | null;
  readonly input: Readonly<Record<string, unknown>> | null;
}

export interface TaskProgress {
  /** Bytes done so far. */
  bytes: number;
  /** Bytes expected in all, when known. */
  total?: number | null;
  /** Replaces the task's message too (Glance shows "Copied 15 MiB" there while copying). */
  message?: string;
}

/**
 * Handed to a handler while its task runs. The task is `processing`; the handler finishes it by
 * returning (success, with the returned object as the task's `result`) or by throwing (failure,
 * with the error's message as the task's `message`).
 */
export interface TaskRunContext {
  readonly task: TaskSnapshot;
  /** 1 on the first run; more when the task is run again after its worker died (idempotent handlers only). */
  readonly attempt: number;
  /** Aborted when the process stops or the attempt outlives its bound; stop work and throw. */
  readonly signal: AbortSignal;
  /** Sets the task's `message` (visible in the task and image-task documents). */
  setMessage(message: string): Promise<void>;
  /**
   * Records byte progress on the task and emits `image.import.progress`. Cheap to call per chunk:
   * writes are coalesced to about one a second.
   */
  reportProgress(progress: TaskProgress): Promise<void>;
}

export type TaskResult = Record<string, unknown> | null | undefined | void;

export interface TaskHandler {
  /**
   * Whether running the task again from the start is safe after its worker died mid-way. When
   * false (the default) such a task is failed instead of being run twice.
   */
  readonly idempotent?: boolean;
  run(ctx: TaskRunContext): Promise<TaskResult>;
}

/** Thrown by a handler to fail its task with exactly this message. */
export class TaskFailedError extends Error {}
