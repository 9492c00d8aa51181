import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { ImageDataModule } from '../image-data/image-data.module.js';
import { StoresModule } from '../stores/stores.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ImportController } from './import.controller.js';
import { ImportService } from './import.service.js';
import { ImportTaskHandler } from './import-task.handler.js';
import { ImportPlugins } from './plugins/import-plugins.js';
import { ImportApi, LocalImportApi } from './import.port.js';

/** Interoperable image import: POST /v2/images/{id}/import and the api_image_import task. */
@Module({
  imports: [ImagesModule, ImageDataModule, StoresModule, TasksModule],
  controllers: [ImportController],
  providers: [
    ImportService,
    ImportTaskHandler,
    ImportPlugins,
    { provide: ImportApi, useClass: LocalImportApi },
  ],
  exports: [ImportApi],
})
export class ImportModule {}
