import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC } from './public.decorator.js';
import { AUTHENTICATOR } from './authenticator.js';
import type { Authenticator } from './authenticator.js';

/**
 * Builds the caller's RequestContext for every route not marked @Public(), the way the
 * configured GLINT_AUTH mode says; a request that cannot be identified never reaches a controller.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator,
  ) {}

  async canActivate(exec: ExecutionContext): Promise<boolean> {
    if (exec.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      exec.getHandler(),
      exec.getClass(),
    ]);
    if (isPublic) return true;
    const req = exec.switchToHttp().getRequest<Request>();
    req.glintContext = await this.authenticator.authenticate(req);
    return true;
  }
}
