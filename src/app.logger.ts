import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import type { AppConfig } from './config/app-config.js';

/** The pino logger every role's process uses. */
export function loggerModule(config: AppConfig): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      // The id was chosen (or kept from the client) by the request-id middleware.
      genReqId: (req: IncomingMessage & { id?: string }) => req.id ?? '',
      customProps: (req: IncomingMessage & { id?: string }) => ({ requestId: req.id }),
      quietReqLogger: true,
      // Tokens are credentials: they never reach a log line.
      redact: ['req.headers["x-auth-token"]', 'req.headers["x-service-token"]', 'req.headers.authorization'],
      autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
    },
  });
}
