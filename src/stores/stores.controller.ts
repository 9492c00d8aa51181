import { Controller, Get, Req } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { refuseBody } from '../common/http/no-body.js';
import type { Request } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import type { StoreInfo } from './store-registry.js';
import { StoresService } from './stores.service.js';

@ApiTags('discovery')
@Controller('v2/info/stores')
export class StoresController {
  constructor(private readonly stores: StoresService) {}

  @Get()
  @ApiOperation({
    summary: 'The stores images can be uploaded to (multi-store only; any authenticated caller)',
  })
  @ApiOkResponse({
    description: '{"stores": [{"id", "description"?, "default"?: "true", "read-only"?: "true"}]}',
  })
  @ApiNotFoundResponse({ description: 'Multi backend is not supported at this site.' })
  list(@Req() req: Request): { stores: StoreInfo[] } {
    refuseBody(req);
    return { stores: this.stores.list() };
  }

  @Get('detail')
  @Policy('stores_info_detail', 'resource')
  @ApiOperation({ summary: 'The stores with their type, weight and driver properties (admin or service)' })
  @ApiOkResponse({ description: '{"stores": [{..., "type", "weight", "properties": {...}}]}' })
  @ApiNotFoundResponse({ description: 'Multi backend is not supported at this site.' })
  @ApiForbiddenResponse({ description: 'The policy stores_info_detail refused.' })
  detail(@Req() req: Request, @Ctx() ctx: RequestContext): { stores: StoreInfo[] } {
    refuseBody(req);
    return { stores: this.stores.detail(ctx) };
  }
}
