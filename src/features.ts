import type { DynamicModule, Type } from '@nestjs/common';
import { DiscoveryModule } from './discovery/discovery.module.js';
import { ImagesModule } from './images/images.module.js';
import { ImageDataModule } from './image-data/image-data.module.js';
import { MembersModule } from './members/members.module.js';
import { MetadefsModule } from './metadefs/metadefs.module.js';
import { StoresModule } from './stores/stores.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { ImageTasksModule } from './tasks/image-tasks.module.js';
import { ImportModule } from './import/import.module.js';
import { RemoteImportModule, RemoteMetadefsModule, RemoteTasksModule } from './registry/remote-services.js';

/** The API's feature modules (images, members, tasks, stores…), in the order they are mounted. */
export const FEATURE_MODULES: Array<Type | DynamicModule> = [
  DiscoveryModule,
  ImagesModule,
  MembersModule,
  StoresModule,
  ImageDataModule,
  TasksModule,
  ImageTasksModule,
  ImportModule,
  MetadefsModule,
];

/**
 * Features that keep their own database access (TypeORM entities and transactions, the task
 * queue's tables). A GLINT_ROLE=api process has no database: the tasks API, import and metadefs
 * are served by the same controllers calling the registry, which runs their services (and the
 * task queue) for the caller (README "Registry").
 */
const API_ROLE_REPLACEMENTS = new Map<Type | DynamicModule, Type | DynamicModule>([
  [TasksModule, RemoteTasksModule],
  [ImportModule, RemoteImportModule],
  [MetadefsModule, RemoteMetadefsModule],
]);

/** The features a process of this role mounts. */
export function featureModules(role: 'all' | 'api' | 'registry'): Array<Type | DynamicModule> {
  if (role !== 'api') return FEATURE_MODULES;
  return FEATURE_MODULES.map((m) => API_ROLE_REPLACEMENTS.get(m) ?? m);
}
