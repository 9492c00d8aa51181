import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module.js';
import { StoresModule } from '../stores/stores.module.js';
import { ImageDataController } from './image-data.controller.js';
import { ImageDataService } from './image-data.service.js';
import { ImageScrubber } from './image-scrubber.js';
import { LegacyLocationsService } from './legacy-locations.service.js';

/** Image bytes: upload, download, staging and removal, between ImagesService and the stores. */
@Module({
  imports: [ImagesModule, StoresModule],
  controllers: [ImageDataController],
  providers: [ImageDataService, LegacyLocationsService, ImageScrubber],
  exports: [ImageDataService, ImageScrubber],
})
export class ImageDataModule {}
