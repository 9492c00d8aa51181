import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import { MetadefResourceTypesService } from './metadef-resource-types.service.js';
import { NoBodyGuard } from '../common/http/no-body.js';

@ApiTags('metadefs')
@Controller('v2/metadefs')
export class MetadefResourceTypesController {
  constructor(private readonly resourceTypes: MetadefResourceTypesService) {}

  @Get('resource_types')
  @Policy('list_metadef_resource_types', 'resource')
  @ApiOperation({ summary: 'List resource types' })
  listAll(@Ctx() ctx: RequestContext) {
    return this.resourceTypes.listAll(ctx);
  }

  @Get('namespaces/:namespace/resource_types')
  @Policy('list_metadef_resource_types', 'resource')
  @ApiOperation({ summary: "List a namespace's resource type associations" })
  list(@Ctx() ctx: RequestContext, @Param('namespace') ns: string) {
    return this.resourceTypes.listForNamespace(ctx, ns);
  }

  @Post('namespaces/:namespace/resource_types')
  @HttpCode(201)
  @Policy('add_metadef_resource_type_association', 'resource')
  @ApiOperation({ summary: 'Associate a resource type (created when unknown) with a namespace' })
  create(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Body() body: unknown) {
    return this.resourceTypes.create(ctx, ns, body);
  }

  @Delete('namespaces/:namespace/resource_types/:resourceType')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('remove_metadef_resource_type_association', 'resource')
  @ApiOperation({ summary: 'Remove a resource type association' })
  async remove(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Param('resourceType') rt: string,
  ) {
    await this.resourceTypes.remove(ctx, ns, rt);
  }
}
