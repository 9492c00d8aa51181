import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { InvalidError } from '../common/errors/domain-errors.js';
import { ImageSchemaRegistry } from './image-schemas.js';

/** Glance's published JSON schemas, built once at start and served as they are. */
@ApiTags('schemas')
@Controller('v2/schemas')
export class SchemasController {
  constructor(private readonly schemas: ImageSchemaRegistry) {}

  private serve(req: Request, name: keyof ImageSchemaRegistry['serialized'], bodyRefused = true): string {
    if (bodyRefused && req.hasBody) throw new InvalidError('A body is not expected with this request.');
    return this.schemas.serialized[name];
  }

  @Get('image')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of an image (any authenticated caller)' })
  image(@Req() req: Request): string {
    return this.serve(req, 'image');
  }

  @Get('images')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of an image list' })
  images(@Req() req: Request): string {
    return this.serve(req, 'images');
  }

  @Get('member')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of an image member' })
  member(@Req() req: Request): string {
    return this.serve(req, 'member');
  }

  @Get('members')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of a member list' })
  members(@Req() req: Request): string {
    return this.serve(req, 'members');
  }

  @Get('task')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of a task' })
  task(@Req() req: Request): string {
    return this.serve(req, 'task', false);
  }

  @Get('tasks')
  @Header('Content-Type', 'application/json')
  @ApiOperation({ summary: 'JSON schema of a task list' })
  tasks(@Req() req: Request): string {
    return this.serve(req, 'tasks', false);
  }
}
