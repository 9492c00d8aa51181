import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';
import { RegistryAppModule } from './registry.module.js';

/**
 * Builds a GLINT_ROLE=registry process: the registry listener on GLINT_REGISTRY_LISTEN and,
 * on HTTP, only the health endpoints (the caller listens on PORT).
 */
export async function createRegistryApp(config: AppConfig): Promise<NestExpressApplication> {
  const listener = config.registry.listener;
  if (!listener) throw new Error('createRegistryApp needs GLINT_ROLE=registry');
  const app = await NestFactory.create<NestExpressApplication>(RegistryAppModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  app.connectMicroservice<MicroserviceOptions>(listener);
  await app.init();
  await app.startAllMicroservices();
  return app;
}
