import { MetadefNamespaceEntity } from './metadef-namespace.entity.js';
import { MetadefNamespaceResourceTypeEntity } from './metadef-namespace-resource-type.entity.js';
import { MetadefObjectEntity } from './metadef-object.entity.js';
import { MetadefPropertyEntity } from './metadef-property.entity.js';
import { MetadefResourceTypeEntity } from './metadef-resource-type.entity.js';
import { MetadefTagEntity } from './metadef-tag.entity.js';

export {
  MetadefNamespaceEntity,
  MetadefNamespaceResourceTypeEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefResourceTypeEntity,
  MetadefTagEntity,
};

export const METADEF_ENTITIES = [
  MetadefNamespaceEntity,
  MetadefResourceTypeEntity,
  MetadefNamespaceResourceTypeEntity,
  MetadefObjectEntity,
  MetadefPropertyEntity,
  MetadefTagEntity,
];
