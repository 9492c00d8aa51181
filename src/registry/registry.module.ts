import { Module } from '@nestjs/common';
import type { DynamicModule, OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { HealthModule } from '../health/health.module.js';
import { ImagesRepository } from '../images/images.repository.js';
import { membershipClause } from '../members/members.repository.js';
import { loggerModule } from '../app.logger.js';
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
 * SQL repositories behind the registry patterns, and the health endpoints over HTTP. No image
 * API, no policy or auth: API processes enforce those before they call here.
 */
@Module({})
export class RegistryAppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RegistryAppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config),
        DatabaseModule,
        RepositoriesModule.forRoot(config),
        HealthModule,
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
