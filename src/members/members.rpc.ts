import { MESH_PATTERNS } from '../client/contract.js';
import { field, rpc } from '../mesh/rpc-table.js';
import type { RpcTable } from '../mesh/rpc-table.js';
import { parseAddMember, parseMemberStatus } from './dto/member-bodies.js';
import { memberView } from './member-record.js';
import { MembersService } from './members.service.js';

/**
 * The member patterns. The member rules need the loaded image, so MembersService checks them
 * (404 for an invisible image, 403 for a refused rule), as for the HTTP routes. The message holds
 * `member` and `status` where the HTTP body does, so the body readers apply to it unchanged.
 */
export const MEMBERS_RPC: RpcTable = {
  [MESH_PATTERNS.listMembers]: rpc(MembersService, async (s, ctx, m) => {
    const members = await s.list(ctx, field(m, 'image_id'));
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  }),
  [MESH_PATTERNS.getMember]: rpc(MembersService, async (s, ctx, m) =>
    memberView(await s.show(ctx, field(m, 'image_id'), field(m, 'member_id'))),
  ),
  [MESH_PATTERNS.addMember]: rpc(MembersService, async (s, ctx, m) =>
    memberView(await s.add(ctx, field(m, 'image_id'), parseAddMember(m))),
  ),
  [MESH_PATTERNS.updateMember]: rpc(MembersService, async (s, ctx, m) => {
    const status = parseMemberStatus(m);
    return memberView(await s.update(ctx, field(m, 'image_id'), field(m, 'member_id'), status));
  }),
  [MESH_PATTERNS.removeMember]: rpc(MembersService, (s, ctx, m) =>
    s.remove(ctx, field(m, 'image_id'), field(m, 'member_id')),
  ),
};
