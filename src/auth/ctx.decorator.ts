import { createParamDecorator } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestContext } from './request-context.js';

declare module 'express-serve-static-core' {
  interface Request {
    glintContext?: RequestContext;
  }
}

/** The caller's RequestContext, built by the AuthGuard. */
export const Ctx = createParamDecorator((_: unknown, exec: ExecutionContext): RequestContext => {
  const ctx = exec.switchToHttp().getRequest<Request>().glintContext;
  if (!ctx) throw new Error('no request context: is the route marked @Public()?');
  return ctx;
});
