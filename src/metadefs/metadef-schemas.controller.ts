import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '../common/errors/domain-errors.js';
import { METADEF_SCHEMAS } from './schema/metadef-schemas.js';
import type { Schema } from '../common/schema/json-schema-check.js';
import { NoBodyGuard } from '../common/http/no-body.js';

/** The metadef JSON schemas; any authenticated caller may read them. */
@ApiTags('schemas')
@Controller('v2/schemas/metadefs')
export class MetadefSchemasController {
  @Get(':name')
  @UseGuards(NoBodyGuard)
  @ApiOperation({
    summary: 'A metadef schema: namespace(s), object(s), property/properties, tag(s), resource_type(s)',
  })
  @ApiParam({ name: 'name', enum: Object.keys(METADEF_SCHEMAS) })
  show(@Param('name') name: string): Schema {
    const build = Object.hasOwn(METADEF_SCHEMAS, name) ? METADEF_SCHEMAS[name] : undefined;
    if (!build) throw new NotFoundError('');
    return build();
  }
}
