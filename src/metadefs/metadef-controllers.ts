import { MetadefNamespacesController } from './metadef-namespaces.controller.js';
import { MetadefObjectsController } from './metadef-objects.controller.js';
import { MetadefPropertiesController } from './metadef-properties.controller.js';
import { MetadefResourceTypesController } from './metadef-resource-types.controller.js';
import { MetadefSchemasController } from './metadef-schemas.controller.js';
import { MetadefTagsController } from './metadef-tags.controller.js';

/** The /v2/metadefs routes, served the same way whether the services run here or in the registry. */
export const METADEF_CONTROLLERS = [
  MetadefNamespacesController,
  MetadefObjectsController,
  MetadefPropertiesController,
  MetadefTagsController,
  MetadefResourceTypesController,
  MetadefSchemasController,
];
