import { Controller, Delete, Get, HttpCode, Param, Put, Req } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { NotFoundError } from '../common/errors/domain-errors.js';
import { refuseBody } from '../common/http/no-body.js';
import { PolicyService } from '../policy/policy.service.js';
import { ImagesService } from './images.service.js';

const NOT_SUPPORTED = 'Caching via API is not supported at this site.';

/**
 * Glance's cache API as Glance answers it where no image cache is configured, which Glint does
 * not have: the routes exist, the image is looked up and the policy checked as there (403 to
 * non-admins), then 404. Clients that probe the cache get Glance's answers, not a bare 404.
 */
@ApiTags('cache')
@Controller('v2/cache')
export class CacheController {
  constructor(
    private readonly images: ImagesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Cached and queued images (no image cache here: 404 after the policy check)' })
  @ApiForbiddenResponse({ description: 'The policy cache_list refused (admin only by default).' })
  @ApiNotFoundResponse({ description: NOT_SUPPORTED })
  list(@Req() req: Request, @Ctx() ctx: RequestContext): never {
    refuseBody(req);
    this.policy.enforce(ctx, 'cache_list');
    throw new NotFoundError(NOT_SUPPORTED);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Clear the cache (no image cache here: 404 after the policy check)' })
  @ApiForbiddenResponse({ description: 'The policy cache_delete refused (admin only by default).' })
  @ApiNotFoundResponse({ description: NOT_SUPPORTED })
  clear(@Req() req: Request, @Ctx() ctx: RequestContext): never {
    refuseBody(req);
    this.policy.enforce(ctx, 'cache_delete');
    throw new NotFoundError(NOT_SUPPORTED);
  }

  @Put(':image_id')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue an image for caching (no image cache here: 404 after the checks)' })
  @ApiForbiddenResponse({ description: 'The policy cache_image refused (admin only by default).' })
  @ApiNotFoundResponse({ description: `Image <id> not found, or ${NOT_SUPPORTED}` })
  async queue(@Ctx() ctx: RequestContext, @Param('image_id') id: string): Promise<never> {
    await this.images.getVisible(ctx, id, `Image ${id} not found.`);
    this.policy.enforce(ctx, 'cache_image');
    throw new NotFoundError(NOT_SUPPORTED);
  }

  // Glance 25 answers 500 for an image it cannot find here; 404 says what happened.
  @Delete(':image_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an image from the cache (no image cache here: 404 after the checks)' })
  @ApiForbiddenResponse({ description: 'The policy cache_delete refused (admin only by default).' })
  @ApiNotFoundResponse({ description: `Image <id> not found, or ${NOT_SUPPORTED}` })
  async dequeue(@Ctx() ctx: RequestContext, @Param('image_id') id: string): Promise<never> {
    await this.images.getVisible(ctx, id, `Image ${id} not found.`);
    this.policy.enforce(ctx, 'cache_delete');
    throw new NotFoundError(NOT_SUPPORTED);
  }
}
