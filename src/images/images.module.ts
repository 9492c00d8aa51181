import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { CacheController } from './cache.controller.js';
import { ImageSchemaRegistry } from './image-schemas.js';
import { ImagesController } from './images.controller.js';
import { ImagesService } from './images.service.js';
import { SchemasController } from './schemas.controller.js';
import { StoresModule } from '../stores/stores.module.js';

/**
 * Image records and their API. Other features import this module and use ImagesService (and the
 * schema registry); they plug their own rules in through its register* methods.
 */
@Module({
  imports: [StoresModule],
  controllers: [ImagesController, SchemasController, CacheController],
  providers: [
    ImagesService,
    {
      provide: ImageSchemaRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ImageSchemaRegistry(config),
    },
  ],
  exports: [ImagesService, ImageSchemaRegistry],
})
export class ImagesModule {}
