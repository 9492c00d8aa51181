import { Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { POLICY_RULE } from './policy.decorator.js';
import type { PolicyMetadata } from './policy.decorator.js';
import { PolicyService } from './policy.service.js';

/** Enforces `@Policy(rule)` for rules that need nothing but the caller. */
@Injectable()
export class PolicyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: PolicyService,
  ) {}

  canActivate(exec: ExecutionContext): boolean {
    const meta = this.reflector.getAllAndOverride<PolicyMetadata | undefined>(POLICY_RULE, [
      exec.getHandler(),
      exec.getClass(),
    ]);
    if (!meta || meta.on !== 'caller') return true;
    const ctx = exec.switchToHttp().getRequest<Request>().glintContext;
    if (!ctx) return true;
    this.policy.enforce(ctx, meta.rule);
    return true;
  }
}
