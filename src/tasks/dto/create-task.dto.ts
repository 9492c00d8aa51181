import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { InvalidError } from '../../common/errors/domain-errors.js';
import { pyRepr } from '../../common/python-repr.js';
import { TASK_STATUSES, TASK_TYPES } from '../task.entity.js';
import type { TaskType } from '../task.entity.js';

/** The body of `POST /v2/tasks` (documentation; the checks below give Glance's messages). */
export class CreateTaskDto {
  /** `import` (legacy import from a URL), `api_image_import` or `location_import`. */
  @ApiProperty({ enum: TASK_TYPES })
  type: TaskType;

  /**
   * What the task works on. For `import`: `import_from` (an http or https URL that passes the
   * import filter), `import_from_format`, `image_properties`. `image_id`, when present, becomes
   * the task's image.
   */
  @ApiPropertyOptional({ type: 'object', nullable: true, additionalProperties: true })
  input: Record<string, unknown> | null;
}

const UUID_PATTERN =
  /^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$/;

type Check = (value: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const string: Check = (v) => (typeof v === 'string' ? undefined : `${pyRepr(v)} is not of type 'string'`);
const nullOrString: Check = (v) =>
  v === null || typeof v === 'string' ? undefined : `${pyRepr(v)} is not of type 'null', 'string'`;
const nullOrObject: Check = (v) =>
  v === null || isObject(v) ? undefined : `${pyRepr(v)} is not of type 'null', 'object'`;
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v)
      ? undefined
      : typeof v !== 'string' && v !== null
        ? `${pyRepr(v)} is not of type 'string'`
        : `${pyRepr(v)} is not one of ${pyRepr([...values])}`;

/** Glance's task schema, property by property, in its order. */
const TASK_SCHEMA: Record<string, Check> = {
  id: (v) =>
    string(v) ??
    (UUID_PATTERN.test(v as string)
      ? undefined
      : `${pyRepr(v)} does not match ${pyRepr(UUID_PATTERN.source)}`),
  type: oneOf(TASK_TYPES),
  status: oneOf(TASK_STATUSES),
  input: nullOrObject,
  result: nullOrObject,
  owner: string,
  message: string,
  image_id: string,
  request_id: string,
  user_id: string,
  expires_at: nullOrString,
  created_at: string,
  updated_at: string,
  self: string,
  schema: string,
};

function schemaError(detail: string): InvalidError {
  return new InvalidError(`Provided object does not match schema 'task': ${detail}`);
}

/**
 * Checks a task creation body as Glance does: both keys present first, then the task schema
 * (which also refuses unknown keys). Returns the type and input.
 */
export function parseCreateTaskBody(body: unknown): {
  type: TaskType;
  input: Record<string, unknown> | null;
} {
  if (body === undefined) throw new InvalidError('Body expected in request.');
  const obj = isObject(body) ? body : {};
  for (const key of ['type', 'input']) {
    if (!(key in obj)) throw new InvalidError(`Task '${key}' is required`);
  }
  for (const [key, check] of Object.entries(TASK_SCHEMA)) {
    if (!(key in obj)) continue;
    const problem = check(obj[key]);
    if (problem) throw schemaError(problem);
  }
  const extra = Object.keys(obj).filter((k) => !(k in TASK_SCHEMA));
  if (extra.length) {
    const listed = extra.map((k) => pyRepr(k)).join(', ');
    throw schemaError(
      `Additional properties are not allowed (${listed} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  }
  return { type: obj.type as TaskType, input: obj.input as Record<string, unknown> | null };
}
