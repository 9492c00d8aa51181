import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { RegistryAppModule } from './registry.module.js';

/**
 * Builds a GLINT_ROLE=registry process: the registry listener on GLINT_REGISTRY_LISTEN and,
 * on HTTP, only the health endpoints (the caller listens on PORT).
 */
/** The only HTTP paths a registry answers; the features it mounts for the task queue stay unreachable. */
const REGISTRY_HTTP = /^\/(healthcheck|health\/[^/]+)\/?$/;

export async function createRegistryApp(
  config: AppConfig,
  options: {
    /** Runs after the providers exist and before lifecycle hooks (tests register task handlers here). */
    beforeInit?: (app: NestExpressApplication) => void | Promise<void>;
  } = {},
): Promise<NestExpressApplication> {
  const listener = config.registry.listener;
  if (!listener) throw new Error('createRegistryApp needs GLINT_ROLE=registry');
  const app = await NestFactory.create<NestExpressApplication>(RegistryAppModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  // Before Nest adds its routes at init: the mounted features have no auth guard here.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (REGISTRY_HTTP.test(req.path)) return next();
    res
      .status(404)
      .json({ code: 404, title: 'Not Found', message: 'The registry serves health checks only.' });
  });
  await options.beforeInit?.(app);
  app.connectMicroservice<MicroserviceOptions>(listener);
  await app.init();
  await app.startAllMicroservices();
  return app;
}
