import { Module } from '@nestjs/common';
import { MetadefAccess } from './metadef-access.js';
import { MetadefNamespacesController } from './metadef-namespaces.controller.js';
import { MetadefNamespacesService } from './metadef-namespaces.service.js';
import { MetadefObjectsController } from './metadef-objects.controller.js';
import { MetadefObjectsService } from './metadef-objects.service.js';
import { MetadefPropertiesController } from './metadef-properties.controller.js';
import { MetadefPropertiesService } from './metadef-properties.service.js';
import { MetadefResourceTypesController } from './metadef-resource-types.controller.js';
import { MetadefResourceTypesService } from './metadef-resource-types.service.js';
import { MetadefSchemasController } from './metadef-schemas.controller.js';
import { MetadefTagsController } from './metadef-tags.controller.js';
import { MetadefTagsService } from './metadef-tags.service.js';
import { MetadefsRepository } from './metadefs.repository.js';

/** Metadata definitions: namespaces and their objects, properties, tags and resource types. */
@Module({
  controllers: [
    MetadefNamespacesController,
    MetadefObjectsController,
    MetadefPropertiesController,
    MetadefTagsController,
    MetadefResourceTypesController,
    MetadefSchemasController,
  ],
  providers: [
    MetadefsRepository,
    MetadefAccess,
    MetadefNamespacesService,
    MetadefObjectsService,
    MetadefPropertiesService,
    MetadefTagsService,
    MetadefResourceTypesService,
  ],
  // All services: the registry serves them to GLINT_ROLE=api processes (src/registry).
  exports: [
    MetadefsRepository,
    MetadefNamespacesService,
    MetadefObjectsService,
    MetadefPropertiesService,
    MetadefTagsService,
    MetadefResourceTypesService,
  ],
})
export class MetadefsModule {}
