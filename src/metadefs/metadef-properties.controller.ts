import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import { MetadefPropertiesService } from './metadef-properties.service.js';
import { NoBodyGuard } from '../common/http/no-body.js';

@ApiTags('metadefs')
@Controller('v2/metadefs/namespaces/:namespace/properties')
export class MetadefPropertiesController {
  constructor(private readonly properties: MetadefPropertiesService) {}

  @Get()
  @Policy('get_metadef_properties', 'resource')
  @ApiOperation({ summary: "List a namespace's property definitions" })
  list(@Ctx() ctx: RequestContext, @Param('namespace') ns: string) {
    return this.properties.list(ctx, ns);
  }

  @Post()
  @HttpCode(201)
  @Policy('add_metadef_property', 'resource')
  @ApiOperation({ summary: 'Create a property definition (name, title, type required)' })
  create(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Body() body: unknown) {
    return this.properties.create(ctx, ns, body);
  }

  @Get(':property')
  @UseGuards(NoBodyGuard)
  @Policy('get_metadef_property', 'resource')
  @ApiOperation({ summary: 'Show a property definition' })
  @ApiQuery({
    name: 'resource_type',
    required: false,
    description: "strip this association's prefix from the name",
  })
  show(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Param('property') name: string,
    @Query('resource_type') rt?: string,
  ) {
    return this.properties.show(ctx, ns, name, typeof rt === 'string' ? rt : undefined);
  }

  @Put(':property')
  @Policy('modify_metadef_property', 'resource')
  @ApiOperation({ summary: 'Replace a property definition (rename allowed)' })
  update(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Param('property') name: string,
    @Body() body: unknown,
  ) {
    return this.properties.update(ctx, ns, name, body);
  }

  @Delete(':property')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('remove_metadef_property', 'resource')
  @ApiOperation({ summary: 'Delete a property definition' })
  async remove(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('property') name: string) {
    await this.properties.remove(ctx, ns, name);
  }
}
