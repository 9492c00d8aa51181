import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { InvalidError } from '../../common/errors/domain-errors.js';
import { compileSchema } from '../../images/json-schema.js';
import { taskSchema } from '../../images/image-schemas.js';
import { TASK_TYPES } from '../task.entity.js';
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

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Glance checks a new task against its published schema closed to other keys, and its 400 carries
 * python-jsonschema's whole text.
 */
const taskError = compileSchema({ ...taskSchema(), additionalProperties: false });

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
  const error = taskError(obj);
  if (error) throw new InvalidError(`Provided object does not match schema 'task': ${error}`);
  return { type: obj.type as TaskType, input: obj.input as Record<string, unknown> | null };
}
