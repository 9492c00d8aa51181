import { Controller, Inject, Logger } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ImagesRepository } from '../images/images.repository.js';
import { MembersRepository } from '../members/members.repository.js';
import { ImageLocationsRepository } from '../image-data/image-locations.repository.js';
import { ImageTasksSource } from '../tasks/image-tasks.source.js';
import { ImportApi } from '../import/import.port.js';
import { TasksApi } from '../tasks/tasks.port.js';
import { MetadefNamespacesService } from '../metadefs/metadef-namespaces.service.js';
import { MetadefObjectsService } from '../metadefs/metadef-objects.service.js';
import { MetadefPropertiesService } from '../metadefs/metadef-properties.service.js';
import { MetadefTagsService } from '../metadefs/metadef-tags.service.js';
import { MetadefResourceTypesService } from '../metadefs/metadef-resource-types.service.js';
import { decodeCaller } from './caller-context.js';
import { DatabaseProbe } from './database-probe.js';
import {
  decodeValue,
  encodeError,
  encodeValue,
  INTERNAL_ERROR,
  UNAUTHORIZED_ERROR,
} from './registry-codec.js';
import { REGISTRY_OPERATIONS, registryPattern } from './registry-protocol.js';
import type { RegistryReply, RegistryRepository } from './registry-protocol.js';

/**
 * A service's operations as registry targets: the caller crosses first and is rebuilt here, so
 * the service's policy checks and owner rules see what they would see in a GLINT_ROLE=all process.
 */
function callerFirst(service: object, operations: readonly string[]): object {
  const methods = service as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return Object.fromEntries(
    operations.map((op) => [
      op,
      (caller: unknown, ...args: unknown[]) => methods[op].call(service, decodeCaller(caller), ...args),
    ]),
  );
}

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Answers the registry patterns (GLINT_ROLE=registry): the SQL repositories, and the services of
 * the tasks API, import and metadefs.
 */
export abstract class RegistryDispatcher {
  private readonly logger = new Logger('Registry');
  private readonly targets: Record<RegistryRepository, object>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ImagesRepository) images: ImagesRepository,
    @Inject(MembersRepository) members: MembersRepository,
    @Inject(ImageLocationsRepository) locations: ImageLocationsRepository,
    @Inject(ImageTasksSource) imageTasks: ImageTasksSource,
    @Inject(DatabaseProbe) probe: DatabaseProbe,
    @Inject(TasksApi) tasks: TasksApi,
    @Inject(ImportApi) imports: ImportApi,
    @Inject(MetadefNamespacesService) metadefNamespaces: MetadefNamespacesService,
    @Inject(MetadefObjectsService) metadefObjects: MetadefObjectsService,
    @Inject(MetadefPropertiesService) metadefProperties: MetadefPropertiesService,
    @Inject(MetadefTagsService) metadefTags: MetadefTagsService,
    @Inject(MetadefResourceTypesService) metadefResourceTypes: MetadefResourceTypesService,
  ) {
    const services = {
      tasks,
      import: imports,
      metadefNamespaces,
      metadefObjects,
      metadefProperties,
      metadefTags,
      metadefResourceTypes,
    };
    const calls = Object.fromEntries(
      Object.entries(services).map(([name, service]) => [
        name,
        callerFirst(service, REGISTRY_OPERATIONS[name as RegistryRepository]),
      ]),
    ) as Record<keyof typeof services, object>;
    this.targets = { images, members, locations, imageTasks, health: probe, ...calls };
  }

  protected async dispatch(
    repository: RegistryRepository,
    operation: string,
    data: unknown,
  ): Promise<RegistryReply> {
    const token = this.config.registry.token;
    const message = (data ?? {}) as { args?: unknown; token?: unknown };
    if (token !== undefined && !sameToken(token, message.token)) {
      return { error: { code: UNAUTHORIZED_ERROR, message: 'the registry token is missing or wrong' } };
    }
    if (!Array.isArray(message.args)) {
      return {
        error: { code: INTERNAL_ERROR, message: 'a registry message carries its arguments as "args"' },
      };
    }
    const target = this.targets[repository] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    try {
      const result = await target[operation](...(decodeValue(message.args) as unknown[]));
      return { ok: encodeValue(result) };
    } catch (err) {
      const body = encodeError(err);
      if (body.code === INTERNAL_ERROR)
        this.logger.error({ err }, `registry ${repository}.${operation} failed`);
      return { error: body };
    }
  }
}

/** A controller with one message pattern per operation of REGISTRY_OPERATIONS. */
export function registryController(prefix: string): Type {
  class RegistryController extends RegistryDispatcher {}
  for (const [repository, operations] of Object.entries(REGISTRY_OPERATIONS) as Array<
    [RegistryRepository, readonly string[]]
  >) {
    for (const operation of operations) {
      const key = `registry:${repository}.${operation}`;
      const descriptor: PropertyDescriptor = {
        value(this: RegistryController, data: unknown) {
          return this.dispatch(repository, operation, data);
        },
        writable: true,
        configurable: true,
      };
      Object.defineProperty(RegistryController.prototype, key, descriptor);
      MessagePattern(registryPattern(prefix, repository, operation))(
        RegistryController.prototype,
        key,
        descriptor,
      );
    }
  }
  Controller()(RegistryController);
  return RegistryController;
}
