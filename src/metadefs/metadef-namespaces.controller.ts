import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import type { ListQuery } from './dto/list-query.dto.js';
import { namespaceHref } from './metadef-format.js';
import type { JsonObject } from './metadef-format.js';
import { MetadefNamespacesService } from './metadef-namespaces.service.js';
import { NoBodyGuard } from '../common/http/no-body.js';
import { absoluteLocation } from '../common/http/request-origin.js';

/** The query string in the client's order, last value winning, as Glance rebuilds its links. */
function orderedQuery(req: Request): Array<[string, string]> {
  const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const merged = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(search)) merged.set(k, v);
  return [...merged];
}

@ApiTags('metadefs')
@Controller('v2/metadefs/namespaces')
export class MetadefNamespacesController {
  constructor(private readonly namespaces: MetadefNamespacesService) {}

  @Get()
  @Policy('get_metadef_namespaces', 'resource')
  @ApiOperation({
    summary: 'List namespaces (limit, marker, sort_key, sort_dir, visibility, resource_types)',
  })
  @ApiQuery({ name: 'resource_types', required: false, description: 'comma list of resource type names' })
  @ApiQuery({ name: 'visibility', required: false, enum: ['public', 'private'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListQuery, @Req() req: Request) {
    return this.namespaces.list(ctx, query, orderedQuery(req));
  }

  @Post()
  @HttpCode(201)
  @Policy('add_metadef_namespace', 'resource')
  @ApiOperation({
    summary: 'Create a namespace, optionally with its properties, objects, tags and associations',
  })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JsonObject> {
    const created = await this.namespaces.create(ctx, body);
    res.setHeader('Location', absoluteLocation(req, namespaceHref(created.namespace as string)));
    return created;
  }

  @Get(':namespace')
  @UseGuards(NoBodyGuard)
  @Policy('get_metadef_namespace', 'resource')
  @ApiOperation({ summary: 'Show a namespace with its properties, objects, tags and associations' })
  @ApiQuery({ name: 'resource_type', required: false, description: 'prefix property names as for this type' })
  show(@Ctx() ctx: RequestContext, @Param('namespace') name: string, @Query('resource_type') rt?: string) {
    return this.namespaces.show(ctx, name, typeof rt === 'string' ? rt : undefined);
  }

  @Put(':namespace')
  @Policy('modify_metadef_namespace', 'resource')
  @ApiOperation({ summary: "Replace a namespace's attributes (rename allowed)" })
  update(@Ctx() ctx: RequestContext, @Param('namespace') name: string, @Body() body: unknown) {
    return this.namespaces.update(ctx, name, body);
  }

  @Delete(':namespace')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_namespace', 'resource')
  @ApiOperation({ summary: 'Delete a namespace and everything in it' })
  async remove(@Ctx() ctx: RequestContext, @Param('namespace') name: string): Promise<void> {
    await this.namespaces.remove(ctx, name);
  }

  @Delete(':namespace/objects')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_namespace', 'resource')
  @ApiOperation({ summary: "Delete all of a namespace's objects" })
  async removeObjects(@Ctx() ctx: RequestContext, @Param('namespace') name: string): Promise<void> {
    await this.namespaces.removeContents(ctx, name, 'objects');
  }

  @Delete(':namespace/properties')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_namespace', 'resource')
  @ApiOperation({ summary: "Delete all of a namespace's properties" })
  async removeProperties(@Ctx() ctx: RequestContext, @Param('namespace') name: string): Promise<void> {
    await this.namespaces.removeContents(ctx, name, 'properties');
  }

  @Delete(':namespace/tags')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_tags', 'resource')
  @ApiOperation({ summary: "Delete all of a namespace's tags" })
  async removeTags(@Ctx() ctx: RequestContext, @Param('namespace') name: string): Promise<void> {
    await this.namespaces.removeContents(ctx, name, 'tags');
  }
}
