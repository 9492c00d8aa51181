import { Injectable, Module } from '@nestjs/common';
import type { Provider, Type } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { ImportController } from '../import/import.controller.js';
import { METADEF_CONTROLLERS } from '../metadefs/metadef-controllers.js';
import { ImportApi } from '../import/import.port.js';
import { TasksController } from '../tasks/tasks.controller.js';
import { TasksApi } from '../tasks/tasks.port.js';
import type { QueryPairs, TaskList } from '../tasks/tasks.service.js';
import type { TaskDocument } from '../tasks/task-view.js';
import { encodeCaller } from './caller-context.js';
import { RegistryClient } from './registry.client.js';
import { REGISTRY_OPERATIONS } from './registry-protocol.js';
import type { RegistryRepository } from './registry-protocol.js';
import { MetadefNamespacesService } from '../metadefs/metadef-namespaces.service.js';
import { MetadefObjectsService } from '../metadefs/metadef-objects.service.js';
import { MetadefPropertiesService } from '../metadefs/metadef-properties.service.js';
import { MetadefTagsService } from '../metadefs/metadef-tags.service.js';
import { MetadefResourceTypesService } from '../metadefs/metadef-resource-types.service.js';

/** The tasks API over the registry (GLINT_ROLE=api): the registry runs TasksService for the caller. */
@Injectable()
export class RemoteTasksApi extends TasksApi {
  constructor(private readonly registry: RegistryClient) {
    super();
  }
  create(ctx: RequestContext, type: string, input: Record<string, unknown> | null): Promise<TaskDocument> {
    return this.registry.call('tasks', 'create', [encodeCaller(ctx), type, input]);
  }
  get(ctx: RequestContext, id: string): Promise<TaskDocument> {
    return this.registry.call('tasks', 'get', [encodeCaller(ctx), id]);
  }
  list(ctx: RequestContext, query: QueryPairs): Promise<TaskList> {
    return this.registry.call('tasks', 'list', [encodeCaller(ctx), query]);
  }
}

/** Interoperable import over the registry (GLINT_ROLE=api): its task queue runs the import. */
@Injectable()
export class RemoteImportApi extends ImportApi {
  constructor(private readonly registry: RegistryClient) {
    super();
  }
  start(ctx: RequestContext, id: string, body: unknown, store: string | undefined): Promise<void> {
    return this.registry.call('import', 'start', [encodeCaller(ctx), id, body, store]);
  }
}

/** GLINT_ROLE=api's /v2/tasks routes: the same controller, calling the registry. */
@Module({
  controllers: [TasksController],
  providers: [{ provide: TasksApi, useClass: RemoteTasksApi }],
})
export class RemoteTasksModule {}

/** GLINT_ROLE=api's POST /v2/images/{id}/import: the same controller, calling the registry. */
@Module({
  controllers: [ImportController],
  providers: [{ provide: ImportApi, useClass: RemoteImportApi }],
})
export class RemoteImportModule {}

/**
 * A service whose every operation (REGISTRY_OPERATIONS[name]) takes the caller first and runs in
 * the registry: what the metadef controllers get in GLINT_ROLE=api in place of the service.
 */
function forwardingService(registry: RegistryClient, name: RegistryRepository): object {
  return Object.fromEntries(
    REGISTRY_OPERATIONS[name].map((op) => [
      op,
      (ctx: RequestContext, ...args: unknown[]) => registry.call(name, op, [encodeCaller(ctx), ...args]),
    ]),
  );
}

const METADEF_SERVICES: Array<[RegistryRepository, Type]> = [
  ['metadefNamespaces', MetadefNamespacesService],
  ['metadefObjects', MetadefObjectsService],
  ['metadefProperties', MetadefPropertiesService],
  ['metadefTags', MetadefTagsService],
  ['metadefResourceTypes', MetadefResourceTypesService],
];

/** GLINT_ROLE=api's /v2/metadefs routes: the same controllers, their services run by the registry. */
@Module({
  controllers: METADEF_CONTROLLERS,
  providers: METADEF_SERVICES.map(([name, token]): Provider => ({
    provide: token,
    inject: [RegistryClient],
    useFactory: (registry: RegistryClient) => forwardingService(registry, name),
  })),
})
export class RemoteMetadefsModule {}
