import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import type { ListQuery } from './dto/list-query.dto.js';
import { MetadefObjectsService } from './metadef-objects.service.js';
import { NoBodyGuard } from '../common/http/no-body.js';

@ApiTags('metadefs')
@Controller('v2/metadefs/namespaces/:namespace/objects')
export class MetadefObjectsController {
  constructor(private readonly objects: MetadefObjectsService) {}

  @Get()
  @Policy('get_metadef_objects', 'resource')
  @ApiOperation({ summary: "List a namespace's objects" })
  list(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Query() query: ListQuery) {
    return this.objects.list(ctx, ns, query);
  }

  @Post()
  @HttpCode(201)
  @Policy('add_metadef_object', 'resource')
  @ApiOperation({ summary: 'Create an object' })
  create(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Body() body: unknown) {
    return this.objects.create(ctx, ns, body);
  }

  @Get(':object')
  @UseGuards(NoBodyGuard)
  @Policy('get_metadef_object', 'resource')
  @ApiOperation({ summary: 'Show an object' })
  show(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('object') name: string) {
    return this.objects.show(ctx, ns, name);
  }

  @Put(':object')
  @Policy('modify_metadef_object', 'resource')
  @ApiOperation({ summary: 'Replace an object (rename allowed)' })
  update(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Param('object') name: string,
    @Body() body: unknown,
  ) {
    return this.objects.update(ctx, ns, name, body);
  }

  @Delete(':object')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_object', 'resource')
  @ApiOperation({ summary: 'Delete an object' })
  async remove(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('object') name: string) {
    await this.objects.remove(ctx, ns, name);
  }
}
