import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** Usage against Keystone unified limits, by resource; empty while they are off (Glance's default). */
export interface UsageDocument {
  usage: Record<string, { limit: number; usage: number }>;
}

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

  // Glint does not enforce Keystone unified limits (use_keystone_limits); Glance then answers an
  // empty document, which `glance usage` prints as an empty table.
  @Get('usage')
  @ApiOperation({ summary: "The caller's project usage against unified limits (none enforced here)" })
  @ApiOkResponse({ description: '{"usage": {}}' })
  usage(): UsageDocument {
    return { usage: {} };
  }
}
