import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { MethodNotAllowedError } from '../common/errors/domain-errors.js';
import { absoluteLocation } from '../common/http/request-origin.js';
import { Policy } from '../policy/policy.decorator.js';
import { CreateTaskDto, parseCreateTaskBody } from './dto/create-task.dto.js';
import { TasksApi } from './tasks.port.js';
import type { TaskList } from './tasks.service.js';
import type { TaskDocument } from './task-view.js';

const TASKS_DELETE_REFUSED =
  'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching ' +
  'the time based on their expires_at property.';

/** Glance's deprecated tasks API: admin-only by default (tasks_api_access). */
@ApiTags('tasks')
@Controller('v2/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksApi) {}

  @Post()
  @HttpCode(201)
  @Policy('tasks_api_access')
  @ApiOperation({ summary: 'Create a task (admin by default); it runs in the background' })
  @ApiBody({ type: CreateTaskDto })
  @ApiCreatedResponse({ description: 'The task, with Location: …/v2/tasks/{id}' })
  @ApiForbiddenResponse({ description: 'tasks_api_access refused' })
  async create(
    @Ctx() ctx: RequestContext,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TaskDocument> {
    const { type, input } = parseCreateTaskBody(body);
    const task = await this.tasks.create(ctx, type, input);
    res.setHeader('Location', absoluteLocation(req, task.self));
    return task;
  }

  @Get()
  @Policy('tasks_api_access')
  @ApiOperation({ summary: 'List tasks (stubs without input, result and message)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'marker', required: false, type: String })
  @ApiQuery({
    name: 'sort_key',
    required: false,
    type: String,
    description: 'a task column; default created_at',
  })
  @ApiQuery({ name: 'sort_dir', required: false, enum: ['asc', 'desc'] })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'processing', 'success', 'failure'] })
  @ApiQuery({ name: 'type', required: false, enum: ['import'] })
  @ApiOkResponse({ description: '{"tasks": [...], "first", "next"?, "schema"}' })
  list(@Ctx() ctx: RequestContext, @Req() req: Request): Promise<TaskList> {
    const queryString = req.originalUrl.split('?')[1] ?? '';
    return this.tasks.list(ctx, [...new URLSearchParams(queryString)]);
  }

  @Get(':task_id')
  @Policy('tasks_api_access')
  @ApiOperation({ summary: 'Show a task' })
  @ApiOkResponse({ description: 'The task' })
  @ApiNotFoundResponse({ description: 'No such task, expired, or not visible' })
  get(@Ctx() ctx: RequestContext, @Param('task_id') id: string): Promise<TaskDocument> {
    return this.tasks.get(ctx, id);
  }

  @Delete(':task_id')
  @Policy('tasks_api_access')
  @ApiOperation({ summary: 'Always refused: tasks are deleted when they expire' })
  @ApiResponse({ status: 405, description: 'Allow: GET' })
  remove(): never {
    throw new MethodNotAllowedError(TASKS_DELETE_REFUSED, ['GET'], true);
  }
}
