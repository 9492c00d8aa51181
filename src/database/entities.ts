import { ImageEntity } from '../images/image.entity.js';
import { ImageLocationEntity } from '../images/image-location.entity.js';
import { ImagePropertyEntity } from '../images/image-property.entity.js';
import { ImageTagEntity } from '../images/image-tag.entity.js';
import { ImageMemberEntity } from '../members/image-member.entity.js';
import { METADEF_ENTITIES } from '../metadefs/entities/index.js';
import { TaskEntity } from '../tasks/task.entity.js';

/**
 * Every TypeORM entity, in one list, so that the migration generator and the application see the
 * same schema. Features add their entities here.
 */
export const ENTITIES: Array<new () => unknown> = [
  ImageEntity,
  ImagePropertyEntity,
  ImageTagEntity,
  ImageLocationEntity,
  ImageMemberEntity,
  TaskEntity,
  ...METADEF_ENTITIES,
];
