import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import type { ListQuery } from './dto/list-query.dto.js';
import { MetadefTagsService, truthy } from './metadef-tags.service.js';
import { NoBodyGuard } from '../common/http/no-body.js';

@ApiTags('metadefs')
@Controller('v2/metadefs/namespaces/:namespace/tags')
export class MetadefTagsController {
  constructor(private readonly tags: MetadefTagsService) {}

  @Get()
  @Policy('get_metadef_tags', 'resource')
  @ApiOperation({ summary: "List a namespace's tags (limit, marker, sort_key, sort_dir)" })
  list(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Query() query: ListQuery) {
    return this.tags.list(ctx, ns, query);
  }

  @Post()
  @HttpCode(201)
  @Policy('add_metadef_tags', 'resource')
  @ApiOperation({ summary: 'Create tags: replaces all tags unless X-Openstack-Append is true' })
  @ApiHeader({ name: 'X-Openstack-Append', required: false, description: 'true: add to the existing tags' })
  createMany(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Body() body: unknown,
    @Headers('x-openstack-append') append?: string,
  ) {
    return this.tags.createMany(ctx, ns, body, truthy(append));
  }

  @Post(':tag')
  @HttpCode(201)
  @UseGuards(NoBodyGuard)
  @Policy('add_metadef_tag', 'resource')
  @ApiOperation({ summary: 'Create one tag named by the path' })
  createOne(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('tag') name: string) {
    return this.tags.createOne(ctx, ns, name);
  }

  @Get(':tag')
  @UseGuards(NoBodyGuard)
  @Policy('get_metadef_tag', 'resource')
  @ApiOperation({ summary: 'Show a tag' })
  show(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('tag') name: string) {
    return this.tags.show(ctx, ns, name);
  }

  @Put(':tag')
  @Policy('modify_metadef_tag', 'resource')
  @ApiOperation({ summary: 'Rename a tag' })
  update(
    @Ctx() ctx: RequestContext,
    @Param('namespace') ns: string,
    @Param('tag') name: string,
    @Body() body: unknown,
  ) {
    return this.tags.update(ctx, ns, name, body);
  }

  @Delete(':tag')
  @HttpCode(204)
  @UseGuards(NoBodyGuard)
  @Policy('delete_metadef_tag', 'resource')
  @ApiOperation({ summary: 'Delete a tag' })
  async remove(@Ctx() ctx: RequestContext, @Param('namespace') ns: string, @Param('tag') name: string) {
    await this.tags.remove(ctx, ns, name);
  }
}
