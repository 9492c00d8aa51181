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
 * queue's tables) instead of the registry's repository ports. A GLINT_ROLE=api process has no
 * database, so it does not mount them; a GLINT_ROLE=all process of the same deployment serves
 * their routes (README "Registry").
 */
export const DATABASE_BOUND_FEATURES: ReadonlySet<Type | DynamicModule> = new Set([
  TasksModule,
  ImportModule,
  MetadefsModule,
]);

/** The features a process of this role mounts. */
export function featureModules(role: 'all' | 'api' | 'registry'): Array<Type | DynamicModule> {
  return role === 'api' ? FEATURE_MODULES.filter((m) => !DATABASE_BOUND_FEATURES.has(m)) : FEATURE_MODULES;
}
