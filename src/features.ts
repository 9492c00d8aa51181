import type { DynamicModule, Type } from '@nestjs/common';
import { DiscoveryModule } from './discovery/discovery.module.js';
import { ImagesModule } from './images/images.module.js';
import { MembersModule } from './members/members.module.js';

/** The API's feature modules (images, members, tasks, stores…), in the order they are mounted. */
export const FEATURE_MODULES: Array<Type | DynamicModule> = [DiscoveryModule, ImagesModule, MembersModule];
