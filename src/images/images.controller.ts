import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { refuseBody } from '../common/http/no-body.js';
import { absoluteLocation } from '../common/http/request-origin.js';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import { imageView } from './image-record.js';
import { ImagesService } from './images.service.js';
import { StoreRegistry } from '../stores/store-registry.js';
import { listLinks, parseListQuery } from './list-query.js';
import { parsePatch } from './json-patch.js';

function queryString(req: Request): string {
  const i = req.url.indexOf('?');
  return i < 0 ? '' : req.url.slice(i + 1);
}

@ApiTags('images')
@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly stores: StoreRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @Policy('add_image', 'resource')
  @ApiOperation({ summary: 'Create an image record (status queued); 201 with Location' })
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    const image = await this.images.create(ctx, body);
    res.setHeader('Location', absoluteLocation(req, `/v2/images/${image.id}`));
    const methods = this.config.glance.enabled_import_methods;
    if (methods.length) res.setHeader('OpenStack-image-import-methods', methods.join(','));
    // Only the stores users may name: Glance also lists its internal os_glance_* ones here.
    if (this.stores.multiStore) {
      res.setHeader(
        'OpenStack-image-store-ids',
        this.stores
          .list()
          .map((s) => s.id)
          .join(','),
      );
    }
    return imageView(image);
  }

  @Get()
  @Policy('get_images')
  @ApiOperation({ summary: 'List images visible to the caller (filters, sorting, marker pagination)' })
  async list(@Ctx() ctx: RequestContext, @Req() req: Request): Promise<Record<string, unknown>> {
    const query = parseListQuery(queryString(req), {
      default: this.config.glance.limit_param_default,
      max: this.config.glance.api_limit_max,
    });
    const page = await this.images.list(ctx, query);
    const links = listLinks(query, page.next);
    return { images: page.images.map(imageView), ...links, schema: '/v2/schemas/images' };
  }

  @Get(':image_id')
  @Policy('get_image', 'resource')
  @ApiOperation({ summary: 'Show an image (404 when missing or not visible)' })
  async show(@Ctx() ctx: RequestContext, @Param('image_id') id: string, @Req() req: Request) {
    refuseBody(req);
    return imageView(await this.images.show(ctx, id));
  }

  @Patch(':image_id')
  @Policy('modify_image', 'resource')
  @ApiOperation({
    summary: 'Update an image with a JSON patch (application/openstack-images-v2.1-json-patch or v2.0)',
  })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  async update(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Req() req: Request,
    @Body() body: unknown,
  ) {
    const ops = parsePatch(req.headers['content-type'], body);
    return imageView(await this.images.update(ctx, id, ops));
  }

  @Delete(':image_id')
  @HttpCode(204)
  @Policy('delete_image', 'resource')
  @ApiOperation({ summary: 'Delete an image (403 when protected); its id is never reused' })
  async remove(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.images.remove(ctx, id);
  }

  @Put(':image_id/tags/:tag')
  @HttpCode(204)
  @Policy('modify_image', 'resource')
  @ApiOperation({ summary: 'Add a tag (no-op when present)' })
  async addTag(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Param('tag') tag: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.images.addTag(ctx, id, tag);
  }

  @Delete(':image_id/tags/:tag')
  @HttpCode(204)
  @Policy('modify_image', 'resource')
  @ApiOperation({ summary: 'Remove a tag (404 when absent)' })
  async removeTag(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Param('tag') tag: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.images.removeTag(ctx, id, tag);
  }

  @Post(':image_id/actions/deactivate')
  @HttpCode(204)
  @Policy('deactivate', 'resource')
  @ApiOperation({ summary: 'Deactivate an active image (no-op when deactivated)' })
  async deactivate(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.images.deactivate(ctx, id);
  }

  @Post(':image_id/actions/reactivate')
  @HttpCode(204)
  @Policy('reactivate', 'resource')
  @ApiOperation({ summary: 'Reactivate a deactivated image (no-op when active)' })
  async reactivate(
    @Ctx() ctx: RequestContext,
    @Param('image_id') id: string,
    @Req() req: Request,
  ): Promise<void> {
    refuseBody(req);
    await this.images.reactivate(ctx, id);
  }
}
