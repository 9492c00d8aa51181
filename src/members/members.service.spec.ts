import { EventEmitter2 } from '@nestjs/event-emitter';
import { loadConfig } from '../config/app-config.js';
import type { AppConfig } from '../config/app-config.js';
import { RequestContext } from '../auth/request-context.js';
import {
  DuplicateError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  OverLimitError,
  PolicyDeniedError,
} from '../common/errors/domain-errors.js';
import { PolicyService } from '../policy/policy.service.js';
import { Notifier } from '../notifications/notifier.js';
import { NOTIFICATION_EVENT } from '../notifications/notification.js';
import type { Notification } from '../notifications/notification.js';
import type { ImageRecord } from '../images/image-record.js';
import { ImageSchemaRegistry } from '../images/image-schemas.js';
import { ImagesService } from '../images/images.service.js';
import type { ImagesRepository } from '../images/images.repository.js';
import type { MemberStatus } from './image-member.entity.js';
import type { MemberRecord } from './member-record.js';
import { MembersService } from './members.service.js';

const IMAGE_ID = '11111111-2222-4333-8444-555555555555';

function imageRecord(overrides: Partial<ImageRecord> = {}): ImageRecord {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    id: IMAGE_ID,
    name: 'shared',
    status: 'queued',
    visibility: 'shared',
    protected: false,
    osHidden: false,
    owner: 'p-owner',
    minDisk: 0,
    minRam: 0,
    containerFormat: null,
    diskFormat: null,
    size: null,
    virtualSize: null,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    createdAt: at,
    updatedAt: at,
    deleted: false,
    deletedAt: null,
    properties: {},
    tags: [],
    ...overrides,
  };
}

/** Members kept in memory, with the repository's semantics (revival, live rows only). */
class FakeMembers {
  rows = new Map<string, MemberRecord & { deleted: boolean }>();
  list(imageId: string, only?: string): Promise<MemberRecord[]> {
    return Promise.resolve(
      [...this.rows.values()].filter(
        (m) => m.imageId === imageId && !m.deleted && (only === undefined || m.memberId === only),
      ),
    );
  }
  async find(imageId: string, member: string) {
    return (await this.list(imageId, member))[0] ?? null;
  }
  async countLive(imageId: string) {
    return (await this.list(imageId)).length;
  }
  add(imageId: string, member: string, at: Date) {
    const row = this.rows.get(member);
    if (row && !row.deleted) return Promise.resolve(null);
    const next = {
      imageId,
      memberId: member,
      status: 'pending' as const,
      createdAt: row?.createdAt ?? at,
      updatedAt: at,
      deleted: false,
    };
    this.rows.set(member, next);
    return Promise.resolve(next);
  }
  setStatus(_imageId: string, member: string, status: MemberStatus, at: Date) {
    const row = this.rows.get(member);
    if (!row || row.deleted) return Promise.resolve(null);
    Object.assign(row, { status, updatedAt: at });
    return Promise.resolve(row);
  }
  remove(_imageId: string, member: string) {
    const row = this.rows.get(member);
    if (!row || row.deleted) return Promise.resolve(false);
    row.deleted = true;
    return Promise.resolve(true);
  }
  removeAll() {
    for (const row of this.rows.values()) row.deleted = true;
    return Promise.resolve();
  }
}

function setup(options: { image?: ImageRecord | null; config?: AppConfig } = {}) {
  const config = options.config ?? loadConfig({});
  const image = options.image === undefined ? imageRecord() : options.image;
  const events = new EventEmitter2();
  const sent: Notification[] = [];
  events.on(NOTIFICATION_EVENT, (n: Notification) => sent.push(n));
  const notifier = new Notifier(events, config);
  const policy = new PolicyService(config);
  const imagesRepo = {
    findById: (id: string) => Promise.resolve(image && id === image.id ? image : null),
    useMembership: () => undefined,
  } as unknown as ImagesRepository;
  const images = new ImagesService(imagesRepo, policy, notifier, new ImageSchemaRegistry(config), config);
  const members = new FakeMembers();
  const service = new MembersService(members, images, policy, notifier, config);
  return { service, members, sent };
}

const owner = new RequestContext('u', 'p-owner', ['member', 'reader'], false);
const ownerReader = new RequestContext('u', 'p-owner', ['reader'], false);
const member = new RequestContext('u', 'p-member', ['member', 'reader'], false);
const second = new RequestContext('u', 'p-second', ['member', 'reader'], false);
const stranger = new RequestContext('u', 'p-stranger', ['member', 'reader'], false);
const admin = new RequestContext('u', 'p-admin', ['admin', 'member', 'reader'], true);

describe('MembersService', () => {
  it('adds a pending member and sends image.member.create with Glance’s payload', async () => {
    const { service, sent } = setup();
    const added = await service.add(owner, IMAGE_ID, 'p-member');
    expect(added.status).toBe('pending');
    expect(sent.map((n) => n.event_type)).toEqual(['image.member.create']);
    expect(sent[0].payload).toEqual({
      image_id: IMAGE_ID,
      member_id: 'p-member',
      status: 'pending',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      deleted: false,
      deleted_at: null,
    });
  });

  it('refuses duplicates (409) and counts the quota first (413)', async () => {
    const { service } = setup();
    await service.add(owner, IMAGE_ID, 'p-member');
    await expect(service.add(owner, IMAGE_ID, 'p-member')).rejects.toThrow(DuplicateError);
    const tight = setup({
      config: { ...loadConfig({}), glance: { ...loadConfig({}).glance, image_member_quota: 1 } },
    });
    await tight.service.add(owner, IMAGE_ID, 'p-member');
    await expect(tight.service.add(owner, IMAGE_ID, 'p-member')).rejects.toThrow(OverLimitError);
  });

  it('hides a shared image from strangers (404) and refuses non-owners (403)', async () => {
    const { service } = setup();
    await service.add(owner, IMAGE_ID, 'p-member');
    await expect(service.add(stranger, IMAGE_ID, 'p-x')).rejects.toThrow(NotFoundError);
    await expect(service.add(member, IMAGE_ID, 'p-x')).rejects.toThrow(PolicyDeniedError);
    await expect(service.add(ownerReader, IMAGE_ID, 'p-x')).rejects.toThrow(PolicyDeniedError);
  });

  it('shows a member only its own membership; show turns every refusal into 404', async () => {
    const { service } = setup();
    await service.add(owner, IMAGE_ID, 'p-member');
    await service.add(owner, IMAGE_ID, 'p-second');
    expect((await service.list(member, IMAGE_ID)).map((m) => m.memberId)).toEqual(['p-member']);
    expect((await service.list(owner, IMAGE_ID)).map((m) => m.memberId)).toEqual(['p-member', 'p-second']);
    await expect(service.show(member, IMAGE_ID, 'p-second')).rejects.toThrow(NotFoundError);
    await expect(service.show(stranger, IMAGE_ID, 'p-member')).rejects.toThrow(NotFoundError);
  });

  it('lets only the member (or an admin) set the status, and checks the value last', async () => {
    const { service, sent } = setup();
    await service.add(owner, IMAGE_ID, 'p-member');
    await service.add(owner, IMAGE_ID, 'p-second');
    await expect(service.update(owner, IMAGE_ID, 'p-member', 'bogus')).rejects.toThrow(PolicyDeniedError);
    await expect(service.update(second, IMAGE_ID, 'p-member', 'accepted')).rejects.toThrow(NotFoundError);
    await expect(service.update(member, IMAGE_ID, 'p-member', 'bogus')).rejects.toThrow(InvalidError);
    sent.length = 0;
    expect((await service.update(member, IMAGE_ID, 'p-member', 'accepted')).status).toBe('accepted');
    expect((await service.update(admin, IMAGE_ID, 'p-member', 'rejected')).status).toBe('rejected');
    expect(sent.map((n) => n.event_type)).toEqual(['image.member.update', 'image.member.update']);
  });

  it('lets the owner remove a member and reports it deleted; a member cannot remove itself', async () => {
    const { service, sent } = setup();
    await service.add(owner, IMAGE_ID, 'p-member');
    await expect(service.remove(member, IMAGE_ID, 'p-member')).rejects.toThrow(PolicyDeniedError);
    sent.length = 0;
    await service.remove(owner, IMAGE_ID, 'p-member');
    expect(sent[0].event_type).toBe('image.member.delete');
    expect(sent[0].payload).toMatchObject({ deleted: true, deleted_at: expect.stringMatching(/Z$/) });
    await expect(service.show(owner, IMAGE_ID, 'p-member')).rejects.toThrow(NotFoundError);
  });

  it('refuses every member operation on images that are not shared, keeping the records', async () => {
    const image = imageRecord();
    const { service, members } = setup({ image });
    await service.add(owner, IMAGE_ID, 'p-member');
    image.visibility = 'private';
    await expect(service.add(owner, IMAGE_ID, 'p-x')).rejects.toThrow('Not allowed to create members');
    await expect(service.list(owner, IMAGE_ID)).rejects.toThrow(ForbiddenError);
    await expect(service.show(owner, IMAGE_ID, 'p-member')).rejects.toThrow(NotFoundError);
    await expect(service.update(member, IMAGE_ID, 'p-member', 'accepted')).rejects.toThrow(NotFoundError);
    await expect(service.remove(owner, IMAGE_ID, 'p-member')).rejects.toThrow(
      'Not allowed to delete members',
    );
    expect(await members.countLive(IMAGE_ID)).toBe(1);
  });

  it('applies Glance’s ownership checks in code in legacy mode', async () => {
    const base = loadConfig({});
    const config = {
      ...base,
      glance: { ...base.glance, oslo_policy: { ...base.glance.oslo_policy, enforce_new_defaults: false } },
    };
    const { service } = setup({ config });
    const legacyOwner = new RequestContext('u', 'p-owner', [], false);
    const legacyMember = new RequestContext('u', 'p-member', [], false);
    await service.add(legacyOwner, IMAGE_ID, 'p-member');
    await expect(service.add(legacyMember, IMAGE_ID, 'p-x')).rejects.toThrow('Not allowed to create members');
    await expect(service.update(legacyOwner, IMAGE_ID, 'p-member', 'accepted')).rejects.toThrow(
      'Not allowed to update members',
    );
    await expect(service.remove(legacyMember, IMAGE_ID, 'p-member')).rejects.toThrow(
      'Not allowed to delete members',
    );
    expect((await service.update(legacyMember, IMAGE_ID, 'p-member', 'accepted')).status).toBe('accepted');
  });
});
