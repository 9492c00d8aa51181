import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { PolicyService } from '../policy/policy.service.js';
import { IS_PUBLIC } from './public.decorator.js';
import { noauthContext, trustedContext } from './identity.js';

/**
 * Builds the caller's RequestContext for every route not marked @Public(), the way the
 * configured GLINT_AUTH mode says; a request that cannot be identified never reaches a controller.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: PolicyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(exec: ExecutionContext): boolean {
    if (exec.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      exec.getHandler(),
      exec.getClass(),
    ]);
    if (isPublic) return true;
    const req = exec.switchToHttp().getRequest<Request>();
    const requestId = req.id ?? '';
    req.glintContext =
      this.config.auth === 'noauth'
        ? noauthContext(requestId)
        : trustedContext(req.headers, requestId, (roles) => this.policy.isAdmin(roles));
    return true;
  }
}
