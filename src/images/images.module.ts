import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { ImageSchemaRegistry } from './image-schemas.js';
import { ImagesController } from './images.controller.js';
import { ImagesRepository } from './images.repository.js';
import { ImagesService } from './images.service.js';
import { SchemasController } from './schemas.controller.js';

/**
 * Image records and their API. Other features import this module and use ImagesService (and the
 * schema registry); they plug their own rules in through its register* methods.
 */
@Module({
  controllers: [ImagesController, SchemasController],
  providers: [
    ImagesRepository,
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
