import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { refuseBody } from '../common/http/no-body.js';
import { Policy } from '../policy/policy.decorator.js';
import { ImagesService } from '../images/images.service.js';
import { ImageTasksSource, imageTasksBody } from './image-tasks.source.js';

@ApiTags('tasks')
@Controller('v2/images')
export class ImageTasksController {
  constructor(
    private readonly images: ImagesService,
    private readonly tasks: ImageTasksSource,
  ) {}

  /** Needs only get_image, not the admin-only tasks API: owners follow their own imports. */
  @Get(':id/tasks')
  @Policy('get_image', 'resource')
  @ApiOperation({ summary: "An image's tasks (raw rows, as Glance 2.12 returns them)" })
  @ApiOkResponse({ description: '{"tasks": [...]}' })
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string, @Req() req: Request) {
    refuseBody(req);
    const image = await this.images.getVisible(ctx, id, '');
    return imageTasksBody(this.tasks, ctx, image.id);
  }
}
