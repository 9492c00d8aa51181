import { Global, Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { ImagesRepository, SqlImagesRepository } from '../images/images.repository.js';
import { MembersRepository, SqlMembersRepository } from '../members/members.repository.js';
import {
  ImageLocationsRepository,
  SqlImageLocationsRepository,
} from '../image-data/image-locations.repository.js';
import { DatabaseProbe, RegistryDatabaseProbe, SqlDatabaseProbe } from './database-probe.js';
import { RegistryClient } from './registry.client.js';
import {
  RemoteImageLocationsRepository,
  RemoteImagesRepository,
  RemoteMembersRepository,
} from './remote-repositories.js';

const PORTS = [ImagesRepository, MembersRepository, ImageLocationsRepository, DatabaseProbe];

/**
 * The repository ports the image and member features inject, bound by GLINT_ROLE: the SQL
 * implementations where this process holds the database (all, registry), the registry client
 * where it does not (api). The features cannot tell the difference.
 */
@Global()
@Module({})
export class RepositoriesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] =
      config.registry.role === 'api'
        ? [
            RegistryClient,
            { provide: ImagesRepository, useClass: RemoteImagesRepository },
            { provide: MembersRepository, useClass: RemoteMembersRepository },
            { provide: ImageLocationsRepository, useClass: RemoteImageLocationsRepository },
            { provide: DatabaseProbe, useClass: RegistryDatabaseProbe },
          ]
        : [
            { provide: ImagesRepository, useClass: SqlImagesRepository },
            { provide: MembersRepository, useClass: SqlMembersRepository },
            { provide: ImageLocationsRepository, useClass: SqlImageLocationsRepository },
            { provide: DatabaseProbe, useClass: SqlDatabaseProbe },
          ];
    return { module: RepositoriesModule, providers, exports: PORTS };
  }
}
