import { Module } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { PolicyModule } from './policy/policy.module.js';
import { PolicyGuard } from './policy/policy.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { GlanceExceptionFilter } from './common/filters/glance-exception.filter.js';
import { HealthModule } from './health/health.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { VersionsController } from './versions/versions.controller.js';
import { FEATURE_MODULES } from './features.js';
import { MeshModule } from './mesh/mesh.module.js';

@Module({})
export class AppModule {
  /** `extraModules`: mounted after the features (tests mount probes this way). */
  static forRoot(config: AppConfig, extraModules: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // The id was chosen (or kept from the client) by the request-id middleware.
            genReqId: (req: IncomingMessage & { id?: string }) => req.id ?? '',
            customProps: (req: IncomingMessage & { id?: string }) => ({ requestId: req.id }),
            quietReqLogger: true,
            // Tokens are credentials: they never reach a log line.
            redact: [
              'req.headers["x-auth-token"]',
              'req.headers["x-service-token"]',
              'req.headers.authorization',
            ],
            autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
          },
        }),
        EventEmitterModule.forRoot({ wildcard: true, delimiter: '.' }),
        DatabaseModule,
        PolicyModule,
        NotificationsModule,
        AuthModule,
        HealthModule,
        ...FEATURE_MODULES,
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
