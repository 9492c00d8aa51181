import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TaskEntity } from './task.entity.js';
import { TasksController } from './tasks.controller.js';
import { ImagesModule } from '../images/images.module.js';
import { TasksRepository } from './tasks.repository.js';
import { TasksService } from './tasks.service.js';
import { TaskLifecycle } from './task-lifecycle.service.js';
import { TaskExecutor } from './executor/task-executor.js';
import { TaskHandlerRegistry } from './executor/task-handler.registry.js';
import { LocalTasksApi, TasksApi } from './tasks.port.js';

/**
 * Tasks and their executor. Other features use TasksService.createTask to start background work
 * and TaskHandlerRegistry.register to say how a task type runs.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TaskEntity]), ImagesModule],
  controllers: [TasksController],
  providers: [
    TasksRepository,
    TasksService,
    TaskLifecycle,
    TaskExecutor,
    TaskHandlerRegistry,
    { provide: TasksApi, useClass: LocalTasksApi },
  ],
  exports: [TasksService, TaskHandlerRegistry, TasksApi],
})
export class TasksModule {}
