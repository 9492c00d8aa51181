import { METADEF_CONTROLLERS } from './metadef-controllers.js';
import { Module } from '@nestjs/common';
import { MetadefAccess } from './metadef-access.js';
import { MetadefNamespacesService } from './metadef-namespaces.service.js';
import { MetadefObjectsService } from './metadef-objects.service.js';
import { MetadefPropertiesService } from './metadef-properties.service.js';
import { MetadefResourceTypesService } from './metadef-resource-types.service.js';
import { MetadefTagsService } from './metadef-tags.service.js';
import { MetadefsRepository } from './metadefs.repository.js';

/** Metadata definitions: namespaces and their objects, properties, tags and resource types. */
@Module({
  controllers: METADEF_CONTROLLERS,
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
