import { Controller, Get, HttpCode, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Public } from '../auth/public.decorator.js';
import { versionsDocument } from './versions.js';
import type { VersionsDocument } from './versions.js';

@ApiTags('versions')
@Public()
@Controller()
export class VersionsController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @HttpCode(300)
  @ApiOperation({ summary: 'List API versions (300 Multiple Choices, as Glance answers the root)' })
  @ApiResponse({ status: 300, description: 'The versions document' })
  root(@Req() req: Request): VersionsDocument {
    return versionsDocument(this.config, req);
  }

  @Get('versions')
  @ApiOperation({ summary: 'List API versions' })
  @ApiOkResponse({ description: 'The versions document' })
  versions(@Req() req: Request): VersionsDocument {
    return versionsDocument(this.config, req);
  }
}
