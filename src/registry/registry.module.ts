import { Module } from '@nestjs/common';
import type { DynamicModule, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { HealthModule } from '../health/health.module.js';
import { ImagesRepository } from '../images/images.repository.js';
import { membershipClause } from '../members/members.repository.js';
import { loggerModule } from '../app.logger.js';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { PolicyModule } from '../policy/policy.module.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { ImagesModule } from '../images/images.module.js';
import { MembersModule } from '../members/members.module.js';
import { StoresModule } from '../stores/stores.module.js';
import { ImageDataModule } from '../image-data/image-data.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ImportModule } from '../import/import.module.js';
import { MetadefsModule } from '../metadefs/metadefs.module.js';
import { RepositoriesModule } from './repositories.module.js';
import { registryController } from './registry.controller.js';

/**
 * What ImagesService and MembersService set up on the repository in a GLINT_ROLE=all process,
 * done once here for every API process: the Members feature's visibility clause, and locations
 * on every read (whether an API process shows them is its own show_* setting).
 */
class MembershipWiring implements OnModuleInit {
  constructor(private readonly images: ImagesRepository) {}
  onModuleInit(): void {
    this.images.useMembership(membershipClause);
    this.images.loadLocations();
  }
}

/**
 * GLINT_ROLE=registry: the database connection (migrations run at start as with role=all), the
 * SQL repositories behind the registry patterns, and the health endpoints over HTTP. It also
 * runs the services of the tasks API, import and metadefs, and the task executor (the task queue
 * lives in the database), so it mounts the features those need: their HTTP routes are refused in front of the
 * router (registry.app.ts), only the registry patterns reach them. No auth: API processes
 * authenticate, and hand the caller over for the service calls.
 */
@Module({})
export class RegistryAppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RegistryAppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config),
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' }),
        DatabaseModule,
        RepositoriesModule.forRoot(config),
        PolicyModule,
        NotificationsModule,
        HealthModule,
        StoresModule,
        ImagesModule,
        MembersModule,
        ImageDataModule,
        TasksModule,
        ImportModule,
        MetadefsModule,
      ],
      controllers: [registryController(config.registry.prefix)],
      providers: [
        {
          provide: MembershipWiring,
          inject: [ImagesRepository],
          useFactory: (i: ImagesRepository) => new MembershipWiring(i),
        },
      ],
    };
  }
}
