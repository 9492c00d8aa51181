import { Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { GlintClient } from './glint-client.js';
import type { GlintClientOptions } from './glint-client.js';

/** Holds the client so that it closes with the app. */
class GlintClientLifecycle implements OnApplicationShutdown {
  constructor(private readonly client: GlintClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * `GlintClientModule.register({ transport: 'nats://…' })` gives the importing module a
 * `GlintClient` (injected by its class) talking to Glint's mesh listeners.
 */
@Module({})
export class GlintClientModule {
  static register(options: GlintClientOptions): DynamicModule {
    return {
      module: GlintClientModule,
      providers: [
        {
          provide: GlintClient,
          useFactory: async () => {
            const client = GlintClient.create(options);
            await client.connect();
            return client;
          },
        },
        {
          provide: GlintClientLifecycle,
          inject: [GlintClient],
          useFactory: (c: GlintClient) => new GlintClientLifecycle(c),
        },
      ],
      exports: [GlintClient],
    };
  }
}
