import { Body, Controller, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { Ctx } from '../../src/auth/ctx.decorator.js';
import type { RequestContext } from '../../src/auth/request-context.js';
import { PolicyService } from '../../src/policy/policy.service.js';

function describeCaller(ctx: RequestContext) {
  return {
    userId: ctx.userId,
    projectId: ctx.projectId,
    roles: ctx.roles,
    serviceRoles: ctx.serviceRoles,
    isAdmin: ctx.isAdmin,
    systemScope: ctx.extra.systemScope ?? null,
  };
}

/**
 * Test-only endpoints behind the real guards: who the caller is, and whether a policy rule lets
 * it act on a target. They let the auth tests check every rule with real tokens before the
 * endpoints that use the rules exist on this branch.
 */
@Controller('v2/_test')
class PolicyProbeController {
  constructor(private readonly policy: PolicyService) {}

  @Get('whoami')
  whoami(@Ctx() ctx: RequestContext) {
    return describeCaller(ctx);
  }

  @Post('policy/:rule')
  @HttpCode(200)
  enforce(
    @Ctx() ctx: RequestContext,
    @Param('rule') rule: string,
    @Body() body: { target?: Record<string, unknown> } | undefined,
  ) {
    this.policy.enforce(ctx, rule, body?.target ?? {});
    return { rule, allowed: true, caller: describeCaller(ctx) };
  }
}

@Module({ controllers: [PolicyProbeController] })
export class PolicyProbeModule {}
