import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { Policy } from '../policy/policy.decorator.js';
import { ImportApi } from './import.port.js';

@ApiTags('images')
@Controller()
export class ImportController {
  constructor(private readonly imports: ImportApi) {}

  @Post('v2/images/:id/import')
  @HttpCode(202)
  @Policy('modify_image', 'resource')
  @ApiOperation({
    summary:
      'Import image data (glance-direct, web-download, copy-image, glance-download) as an api_image_import task; 202, empty body',
  })
  async import(
    @Ctx() ctx: RequestContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: Request,
  ): Promise<void> {
    const header = req.headers['x-image-meta-store'];
    await this.imports.start(ctx, id, body, Array.isArray(header) ? header[0] : header);
  }
}
