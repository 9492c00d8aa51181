import { Module } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { loggerModule } from './app.logger.js';
import { DatabaseModule } from './database/database.module.js';
import { PolicyModule } from './policy/policy.module.js';
import { PolicyGuard } from './policy/policy.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { GlanceExceptionFilter } from './common/filters/glance-exception.filter.js';
import { HealthModule } from './health/health.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { VersionsController } from './versions/versions.controller.js';
import { featureModules } from './features.js';
import { RepositoriesModule } from './registry/repositories.module.js';
import { MeshModule } from './mesh/mesh.module.js';

@Module({})
export class AppModule {
  /** `extraModules`: mounted after the features (tests mount probes this way). */
  static forRoot(config: AppConfig, extraModules: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config),
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' }),
        // GLINT_ROLE=api holds no database connection: its repositories call the registry.
        ...(config.registry.role === 'api' ? [] : [DatabaseModule]),
        RepositoriesModule.forRoot(config),
        PolicyModule,
        NotificationsModule,
        AuthModule,
        HealthModule,
        ...featureModules(config.registry.role),
        ...extraModules,
        MeshModule.forRoot(config),
      ],
      controllers: [VersionsController],
      providers: [
        // Guards run in this order: identity first, then the caller-level policy rule.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: PolicyGuard },
        { provide: APP_FILTER, useClass: GlanceExceptionFilter },
      ],
    };
  }
}
