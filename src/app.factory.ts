import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from './config/app-config.js';
import { AppModule } from './app.module.js';
import { requestIdMiddleware } from './common/http/request-id.js';
import { proxyHeadersMiddleware } from './common/http/request-origin.js';
import { jsonBodyMiddleware } from './common/http/json-body.js';
import { corsAsGlance } from './common/http/cors.js';
import {
  collapseSlashes,
  optionsAsGlance,
  rejectHead,
  versionNegotiationMiddleware,
} from './common/http/glance-routing.js';
import { captureRoutes } from './common/http/route-table.js';
import { applyConnectionTimeouts } from './common/http/connection-timeouts.js';
import { continueOnFirstRead } from './common/http/lazy-continue.js';
import { applyRequestLimits, requestLineLimits } from './common/http/request-limits.js';

export const API_DOCS_PATH = 'api-docs';

export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Glint — OpenStack Image API v2')
    .setDescription(
      'Wire-compatible with the OpenStack Image (Glance) API v2. Errors follow Glance: text/plain by ' +
        'default, JSON with Accept: application/json. Each operation names its policy rule in x-policy.',
    )
    .setVersion('2')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' }, 'token')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Builds the HTTP application: the same wiring for `npm start`, the tests and the OpenAPI export.
 * Express-level steps run before Nest's routing, in Glance's pipeline order: request id, proxy
 * headers, version negotiation, then body parsing.
 */
export async function createApp(
  config: AppConfig,
  options: {
    preview?: boolean;
    /** Runs after the providers exist and before lifecycle hooks (tests register task handlers here). */
    beforeInit?: (app: NestExpressApplication) => void | Promise<void>;
    /** Extra modules mounted beside the features (tests mount probes here). */
    extraModules?: Array<Type | DynamicModule>;
  } = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, options.extraModules),
    {
      bodyParser: false,
      bufferLogs: true,
      abortOnError: false,
      preview: options.preview,
    },
  );
  if (!options.preview) app.useLogger(app.get(Logger));
  applyConnectionTimeouts(app.getHttpServer(), config.glance.client_socket_timeout);
  continueOnFirstRead(app.getHttpServer());
  applyRequestLimits(app.getHttpServer());
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLineLimits(config.glance.max_header_line));
  app.use(collapseSlashes);
  app.use(corsAsGlance(config.glance.cors));
  app.use(optionsAsGlance);
  app.use(requestIdMiddleware(config.glance.max_request_id_length));
  app.use(proxyHeadersMiddleware(config.glance.oslo_middleware.enable_proxy_headers_parsing));
  app.use(versionNegotiationMiddleware(config));
  app.use(rejectHead);
  app.use(jsonBodyMiddleware(config.maxBodyBytes));
  SwaggerModule.setup(API_DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${API_DOCS_PATH}-json`,
    customSiteTitle: 'Glint Image API',
  });
  app.enableShutdownHooks();
  if (!options.preview) {
    await options.beforeInit?.(app);
    // Mesh listeners share the app's guards and filters (STYLE: inheritAppConfig).
    for (const listener of config.mesh.listeners)
      app.connectMicroservice(listener, { inheritAppConfig: true });
    await app.init();
    if (config.mesh.listeners.length) await app.startAllMicroservices();
    const router = (
      app.getHttpAdapter().getInstance() as unknown as {
        router: { stack: Parameters<typeof captureRoutes>[0] };
      }
    ).router;
    captureRoutes(router.stack);
  }
  return app;
}
