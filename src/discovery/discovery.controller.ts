import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

export interface ImportMethodsDocument {
  'import-methods': { description: string; type: 'array'; value: string[] };
}

@ApiTags('discovery')
@Controller('v2/info')
export class DiscoveryController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('import')
  @ApiOperation({ summary: 'The import methods this site offers (any authenticated caller)' })
  @ApiOkResponse({ description: '{"import-methods": {"description", "type": "array", "value": [...]}}' })
  importMethods(): ImportMethodsDocument {
    return {
      'import-methods': {
        description: 'Import methods available.',
        type: 'array',
        value: [...this.config.glance.enabled_import_methods],
      },
    };
  }
}
