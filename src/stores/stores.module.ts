import { Module } from '@nestjs/common';
import { StoreRegistry } from './store-registry.js';
import { StoresController } from './stores.controller.js';
import { StoresService } from './stores.service.js';

/** Image data stores: the registry other features write and read image data through. */
@Module({
  controllers: [StoresController],
  providers: [StoreRegistry, StoresService],
  exports: [StoreRegistry],
})
export class StoresModule {}
