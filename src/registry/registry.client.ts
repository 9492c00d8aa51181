import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientProxyFactory } from '@nestjs/microservices';
import type { ClientOptions, ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { UnavailableError } from '../common/errors/domain-errors.js';
import { decodeError, decodeValue, encodeValue } from './registry-codec.js';
import { registryPattern } from './registry-protocol.js';
import type { RegistryReply, RegistryRepository, RegistryRequest } from './registry-protocol.js';

/** The API process's one connection to the registry (GLINT_ROLE=api). */
@Injectable()
export class RegistryClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Registry');
  private readonly proxy: ClientProxy;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const options = config.registry.client;
    if (!options) throw new Error('RegistryClient needs GLINT_ROLE=api and GLINT_REGISTRY_URL');
    this.proxy = ClientProxyFactory.create(options as ClientOptions);
  }

  /** Connects and checks that the registry reaches its database, or refuses the start. */
  async onModuleInit(): Promise<void> {
    try {
      await this.proxy.connect();
      await this.call('health', 'ping', []);
    } catch (err) {
      throw new Error(
        `GLINT_ROLE=api: the registry at GLINT_REGISTRY_URL does not answer: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.proxy.close();
  }

  /**
   * Runs one repository operation in the registry. Its domain errors come back as the same
   * classes; an unreachable or silent registry is a 503, as an unreachable database would be.
   */
  async call<T>(repository: RegistryRepository, operation: string, args: unknown[]): Promise<T> {
    const request: RegistryRequest = {
      args: encodeValue(args) as unknown[],
      ...(this.config.registry.token !== undefined ? { token: this.config.registry.token } : {}),
    };
    let reply: RegistryReply | null;
    try {
      reply = await firstValueFrom(
        this.proxy
          .send<RegistryReply>(registryPattern(this.config.registry.prefix, repository, operation), request)
          .pipe(timeout(this.config.registry.timeoutMs)),
        { defaultValue: null },
      );
    } catch (err) {
      this.logger.error({ err }, `registry ${repository}.${operation} failed in transit`);
      throw new UnavailableError('The image registry is not available.');
    }
    if (reply === null || typeof reply !== 'object') {
      throw new UnavailableError('The image registry gave no answer.');
    }
    if ('error' in reply) throw decodeError(reply.error, `${repository}.${operation}`);
    return decodeValue(reply.ok) as T;
  }
}
