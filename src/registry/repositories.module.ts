import { Global, Module } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { ImagesRepository, SqlImagesRepository } from '../images/images.repository.js';
import { MembersRepository, SqlMembersRepository } from '../members/members.repository.js';
import {
  ImageLocationsRepository,
  SqlImageLocationsRepository,
} from '../image-data/image-locations.repository.js';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ImageTasksSource, SqlImageTasksSource } from '../tasks/image-tasks.source.js';
import { TaskEntity } from '../tasks/task.entity.js';
import { TasksRepository } from '../tasks/tasks.repository.js';
import { DatabaseProbe, RegistryDatabaseProbe, SqlDatabaseProbe } from './database-probe.js';
import { RegistryClient } from './registry.client.js';
import {
  RemoteImageLocationsRepository,
  RemoteImagesRepository,
  RemoteImageTasksSource,
  RemoteMembersRepository,
} from './remote-repositories.js';

const PORTS = [
  ImagesRepository,
  MembersRepository,
  ImageLocationsRepository,
  ImageTasksSource,
  DatabaseProbe,
];

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
            { provide: ImageTasksSource, useClass: RemoteImageTasksSource },
            { provide: DatabaseProbe, useClass: RegistryDatabaseProbe },
          ]
        : [
            { provide: ImagesRepository, useClass: SqlImagesRepository },
            { provide: MembersRepository, useClass: SqlMembersRepository },
            { provide: ImageLocationsRepository, useClass: SqlImageLocationsRepository },
            TasksRepository,
            { provide: ImageTasksSource, useClass: SqlImageTasksSource },
            { provide: DatabaseProbe, useClass: SqlDatabaseProbe },
          ];
    // The task rows' TypeORM repository, for the SQL side only: an api process has no DataSource.
    const imports = config.registry.role === 'api' ? [] : [TypeOrmModule.forFeature([TaskEntity])];
    // The registry client also serves the remote tasks and import routes (remote-services.ts).
    const exports = config.registry.role === 'api' ? [...PORTS, RegistryClient] : PORTS;
    return { module: RepositoriesModule, imports, providers, exports };
  }
}
