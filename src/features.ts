import type { DynamicModule, Type } from '@nestjs/common';
import { DiscoveryModule } from './discovery/discovery.module.js';
import { TasksModule } from './tasks/tasks.module.js';

/** The API's feature modules (images, members, tasks, stores…), in the order they are mounted. */
export const FEATURE_MODULES: Array<Type | DynamicModule> = [DiscoveryModule, TasksModule];
