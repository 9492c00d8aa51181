import type { TaskStatus } from './task.entity.js';

/** Glance's task state machine (glance/domain Task._validate_task_status_transition). */
const NEXT: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['processing', 'failure'],
  processing: ['success', 'failure'],
  success: [],
  failure: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return NEXT[from].includes(to);
}

/** The states a task may be in for it to move to `to`: the compare-and-set guard of an update. */
export function sourcesOf(to: TaskStatus): TaskStatus[] {
  return (Object.keys(NEXT) as TaskStatus[]).filter((from) => NEXT[from].includes(to));
}

export function isTerminal(status: TaskStatus): boolean {
  return NEXT[status].length === 0;
}
