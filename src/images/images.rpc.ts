import { MESH_PATTERNS } from '../client/contract.js';
import { field, queryString, rpc } from '../mesh/rpc-table.js';
import type { RpcTable } from '../mesh/rpc-table.js';
import { imageView } from './image-record.js';
import { ImagesService } from './images.service.js';
import { PATCH_V21, parsePatch } from './json-patch.js';
import { listLinks, parseListQuery } from './list-query.js';

/** The image patterns: each the same ImagesService call as its HTTP route. */
export const IMAGES_RPC: RpcTable = {
  [MESH_PATTERNS.getImage]: rpc(ImagesService, async (s, ctx, m) =>
    imageView(await s.show(ctx, field(m, 'id'))),
  ),
  [MESH_PATTERNS.listImages]: rpc(
    ImagesService,
    async (s, ctx, m, config) => {
      const query = parseListQuery(queryString(m), {
        default: config.glance.limit_param_default,
        max: config.glance.api_limit_max,
      });
      const page = await s.list(ctx, query);
      return {
        images: page.images.map(imageView),
        ...listLinks(query, page.next),
        schema: '/v2/schemas/images',
      };
    },
    { policy: 'get_images' },
  ),
  [MESH_PATTERNS.createImage]: rpc(ImagesService, async (s, ctx, m) =>
    imageView(await s.create(ctx, m.image)),
  ),
  [MESH_PATTERNS.updateImage]: rpc(ImagesService, async (s, ctx, m) => {
    const mediaType = typeof m.media_type === 'string' ? m.media_type : PATCH_V21;
    return imageView(await s.update(ctx, field(m, 'id'), parsePatch(mediaType, m.ops)));
  }),
  [MESH_PATTERNS.deleteImage]: rpc(ImagesService, (s, ctx, m) => s.remove(ctx, field(m, 'id'))),
  [MESH_PATTERNS.addTag]: rpc(ImagesService, (s, ctx, m) => s.addTag(ctx, field(m, 'id'), field(m, 'tag'))),
  [MESH_PATTERNS.removeTag]: rpc(ImagesService, (s, ctx, m) =>
    s.removeTag(ctx, field(m, 'id'), field(m, 'tag')),
  ),
  [MESH_PATTERNS.deactivateImage]: rpc(ImagesService, (s, ctx, m) => s.deactivate(ctx, field(m, 'id'))),
  [MESH_PATTERNS.reactivateImage]: rpc(ImagesService, (s, ctx, m) => s.reactivate(ctx, field(m, 'id'))),
};
