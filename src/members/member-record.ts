import { isoSeconds } from '../images/image-record.js';
import type { MemberStatus } from './image-member.entity.js';

/** A membership as the domain sees it. */
export interface MemberRecord {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: Date;
  updatedAt: Date;
}

/** The member as the API shows it (create, show, update, each list element). */
export function memberView(member: MemberRecord): Record<string, string> {
  return {
    image_id: member.imageId,
    member_id: member.memberId,
    status: member.status,
    created_at: isoSeconds(member.createdAt),
    updated_at: isoSeconds(member.updatedAt),
    schema: '/v2/schemas/member',
  };
}

/** Glance's image.member.* payload; a removal reports the member as deleted now. */
export function memberPayload(member: MemberRecord, deletedAt: Date | null = null) {
  return {
    image_id: member.imageId,
    member_id: member.memberId,
    status: member.status,
    created_at: isoSeconds(member.createdAt),
    updated_at: isoSeconds(member.updatedAt),
    deleted: deletedAt !== null,
    deleted_at: deletedAt ? isoSeconds(deletedAt) : null,
  };
}
