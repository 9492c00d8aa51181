import { RequestContext } from '../auth/request-context.js';
import { InvalidError } from '../common/errors/domain-errors.js';

/**
 * The caller of a service call the registry runs for an API process (import, tasks). The API
 * process authenticated the request and decided `isAdmin` with its policy; the registry takes the
 * context as it is, so that the service's own policy checks see the same caller.
 */
export interface CallerContext {
  userId: string | null;
  projectId: string | null;
  roles: string[];
  isAdmin: boolean;
  serviceRoles: string[];
  requestId: string;
  extra: RequestContext['extra'];
}

export function encodeCaller(ctx: RequestContext): CallerContext {
  return {
    userId: ctx.userId,
    projectId: ctx.projectId,
    roles: [...ctx.roles],
    isAdmin: ctx.isAdmin,
    serviceRoles: [...ctx.serviceRoles],
    requestId: ctx.requestId,
    extra: { ...ctx.extra },
  };
}

function nullableText(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function textList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function decodeCaller(raw: unknown): RequestContext {
  const c = (raw ?? {}) as Partial<CallerContext>;
  if (
    !nullableText(c.userId) ||
    !nullableText(c.projectId) ||
    !textList(c.roles) ||
    typeof c.isAdmin !== 'boolean' ||
    !textList(c.serviceRoles) ||
    typeof c.requestId !== 'string' ||
    c.extra === null ||
    typeof c.extra !== 'object'
  ) {
    throw new InvalidError('a registry service call carries a malformed caller');
  }
  return new RequestContext(c.userId, c.projectId, c.roles, c.isAdmin, c.serviceRoles, c.requestId, c.extra);
}
