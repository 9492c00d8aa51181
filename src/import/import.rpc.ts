import { MESH_PATTERNS } from '../client/contract.js';
import { InvalidError } from '../common/errors/domain-errors.js';
import { field, rpc } from '../mesh/rpc-table.js';
import type { RpcTable } from '../mesh/rpc-table.js';
import { ImportService } from './import.service.js';

/**
 * `image.import`: POST /v2/images/{id}/import with `body` as its JSON body and `store` as its
 * X-Image-Meta-Store header. The reply comes once the import task is queued, as the 202 does;
 * the task's progress shows in `task.get` and the task.* notifications.
 */
export const IMPORT_RPC: RpcTable = {
  [MESH_PATTERNS.importImage]: rpc(ImportService, async (s, ctx, m) => {
    if (m.store !== undefined && typeof m.store !== 'string')
      throw new InvalidError('store must be a string');
    await s.start(ctx, field(m, 'id'), m.body, m.store);
  }),
};
