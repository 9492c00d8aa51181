import { METADEF_ENTITIES } from '../metadefs/entities/index.js';

/**
 * Every TypeORM entity, in one list, so that the migration generator and the application see the
 * same schema. Features add their entities here.
 */
export const ENTITIES: Array<new () => unknown> = [...METADEF_ENTITIES];
