import type { DynamicModule, Type } from '@nestjs/common';
import { DiscoveryModule } from './discovery/discovery.module.js';
import { ImagesModule } from './images/images.module.js';
import { ImageDataModule } from './image-data/image-data.module.js';
import { MembersModule } from './members/members.module.js';
import { MetadefsModule } from './metadefs/metadefs.module.js';
import { StoresModule } from './stores/stores.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { ImportModule } from './import/import.module.js';

/** The API's feature modules (images, members, tasks, stores…), in the order they are mounted. */
export const FEATURE_MODULES: Array<Type | DynamicModule> = [
  DiscoveryModule,
  ImagesModule,
  MembersModule,
  StoresModule,
  ImageDataModule,
  TasksModule,
  ImportModule,
  MetadefsModule,
];
