import { MESH_PATTERNS } from '../client/contract.js';
import { InvalidError } from '../common/errors/domain-errors.js';
import { field, rpc } from '../mesh/rpc-table.js';
import type { RpcTable } from '../mesh/rpc-table.js';
import type { Type } from '@nestjs/common';
import { ImportApi } from './import.port.js';

/**
 * `image.import`: POST /v2/images/{id}/import with `body` as its JSON body and `store` as its
 * X-Image-Meta-Store header. The reply comes once the import task is queued, as the 202 does;
 * the task's progress shows in `task.get` and the task.* notifications.
 */
export const IMPORT_RPC: RpcTable = {
  // Through the port, as the HTTP route: GLINT_ROLE=api serves it by calling the registry.
  // The port is an abstract class: a token to look up, never constructed here.
  [MESH_PATTERNS.importImage]: rpc(ImportApi as unknown as Type<ImportApi>, async (s, ctx, m) => {
    if (m.store !== undefined && typeof m.store !== 'string')
      throw new InvalidError('store must be a string');
    await s.start(ctx, field(m, 'id'), m.body, m.store);
  }),
};
