import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { RequestContext } from '../auth/request-context.js';
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
import type { ImageRecord } from '../images/image-record.js';
import { ImagesService } from '../images/images.service.js';
import { MEMBER_STATUSES } from './image-member.entity.js';
import type { MemberStatus } from './image-member.entity.js';
import { memberPayload } from './member-record.js';
import type { MemberRecord } from './member-record.js';
import { MembersRepository, membershipClause } from './members.repository.js';

const FOUR_BYTE = /[\u{10000}-\u{10FFFF}]/u;
const MEMBER_MAX_LENGTH = 255;

/** The member operation a check is made for, which picks Glance's wording of a refusal. */
type Operation = 'create' | 'list' | 'show' | 'update' | 'delete';

const NOT_ALLOWED: Record<'create' | 'update' | 'delete', string> = {
  create: 'Not allowed to create members for image',
  update: 'Not allowed to update members for image',
  delete: 'Not allowed to delete members for image',
};

/**
 * Sharing an image with other projects. Glance's rules: members exist only on shared images;
 * the owner (or an admin) adds and removes them; only the member project (or an admin) answers
 * with a status; a member sees its own membership, the owner sees all. Invisible images are 404
 * whatever the operation; refusals on visible ones are 403, except for show, which hides them as
 * 404. The membership SQL is plugged into image visibility at start.
 */
@Injectable()
export class MembersService implements OnModuleInit {
  constructor(
    private readonly repo: MembersRepository,
    private readonly images: ImagesService,
    private readonly policy: PolicyService,
    private readonly notifier: Notifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.images.registerMembership(membershipClause);
    // Glance removes the memberships together with the image (no member notifications).
    this.images.registerDeleteHook((image) => this.repo.removeAll(image.id, new Date()));
  }

  async list(ctx: RequestContext, imageId: string): Promise<MemberRecord[]> {
    const image = await this.lookupImage(ctx, imageId);
    this.checkShared(ctx, image, 'list');
    this.enforce(ctx, image, 'get_members');
    const seesAll = ctx.isAdmin || (ctx.projectId !== null && image.owner === ctx.projectId);
    if (!seesAll && ctx.projectId === null) return [];
    const members = await this.repo.list(image.id, seesAll ? undefined : (ctx.projectId as string));
    // Glance checks get_member for each entry too; its target is the image, so all or none pass.
    return this.policy.check(ctx, 'get_member', this.images.policyTarget(ctx, image)) ? members : [];
  }

  async show(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRecord> {
    const image = await this.lookupImage(ctx, imageId);
    this.checkShared(ctx, image, 'show');
    return this.lookupMember(ctx, image, memberId, 'show');
  }

  async add(ctx: RequestContext, imageId: string, memberId: string): Promise<MemberRecord> {
    const image = await this.lookupImage(ctx, imageId);
    this.checkShared(ctx, image, 'create', imageId);
    this.enforce(ctx, image, 'add_member');
    const quota = this.config.glance.image_member_quota;
    if (quota >= 0) {
      const attempted = (await this.repo.countLive(image.id)) + 1;
      if (attempted > quota) {
        throw new OverLimitError(
          `Image member limit exceeded for image ${imageId}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${quota}:`,
        );
      }
    }
    if (await this.repo.find(image.id, memberId)) {
      throw new DuplicateError(`Member ${memberId} is duplicated for image ${imageId}`);
    }
    if (FOUR_BYTE.test(memberId)) throw new InvalidError("Member can't contain 4 byte unicode characters.");
    // Glance's column is 255 wide; its databases would fail on more, we refuse it as bad input.
    if ([...memberId].length > MEMBER_MAX_LENGTH) {
      throw new InvalidError(`Member can't be longer than ${MEMBER_MAX_LENGTH} characters.`);
    }
    const member = await this.repo.add(image.id, memberId, new Date());
    if (!member) throw new DuplicateError(`Member ${memberId} is duplicated for image ${imageId}`);
    this.notifier.notify('image.member.create', memberPayload(member));
    return member;
  }

  async update(
    ctx: RequestContext,
    imageId: string,
    memberId: string,
    status: unknown,
  ): Promise<MemberRecord> {
    const image = await this.lookupImage(ctx, imageId);
    this.checkShared(ctx, image, 'update', imageId);
    await this.lookupMember(ctx, image, memberId, 'update');
    this.enforce(ctx, image, 'modify_member');
    if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
      throw new InvalidError('Incorrect request: Status must be "pending", "accepted" or "rejected".');
    }
    const saved = await this.repo.setStatus(image.id, memberId, status as MemberStatus, new Date());
    if (!saved) throw this.memberNotFound(image, memberId);
    this.notifier.notify('image.member.update', memberPayload(saved));
    return saved;
  }

  async remove(ctx: RequestContext, imageId: string, memberId: string): Promise<void> {
    const image = await this.lookupImage(ctx, imageId);
    this.checkShared(ctx, image, 'delete', imageId);
    const member = await this.lookupMember(ctx, image, memberId, 'delete');
    this.enforce(ctx, image, 'delete_member');
    const at = new Date();
    if (!(await this.repo.remove(image.id, memberId, at))) throw this.memberNotFound(image, memberId);
    this.notifier.notify('image.member.delete', memberPayload(member, at));
  }

  // ---- the checks, in Glance's order ------------------------------------------------------

  /** The image if the caller can see it (owner, admin, public/community, or a member of it). */
  private async lookupImage(ctx: RequestContext, imageId: string): Promise<ImageRecord> {
    const found = await this.images.findById(imageId);
    if (!found) throw new NotFoundError(`Image ${imageId} not found.`);
    const asker = ctx.projectId;
    const callerIsMember =
      found.visibility === 'shared' &&
      asker !== null &&
      found.owner !== asker &&
      (await this.repo.find(found.id, asker)) !== null;
    const image = { ...found, callerIsMember };
    if (!this.images.isVisible(ctx, image)) throw new NotFoundError(`Image ${imageId} not found.`);
    return image;
  }

  /**
   * Only shared images have members. In legacy policy mode Glance also decides ownership here in
   * code: only the owner adds or removes members, and the owner never answers for them.
   */
  private checkShared(ctx: RequestContext, image: ImageRecord, op: Operation, pathId = image.id): void {
    if (image.visibility !== 'shared') {
      if (op === 'show') throw new NotFoundError('Only shared images have members.');
      if (op === 'list') {
        throw new ForbiddenError(
          `Not allowed to list members for image ${image.id}: Only shared images have members.`,
        );
      }
      throw new ForbiddenError(`${NOT_ALLOWED[op]} ${pathId}.`);
    }
    if (!this.policy.legacy || ctx.isAdmin) return;
    const isOwner = image.owner !== null && image.owner === ctx.projectId;
    const refused =
      (op === 'create' && !isOwner) ||
      (op === 'delete' && !isOwner) ||
      (op === 'update' && image.owner === ctx.projectId);
    if (refused) throw new ForbiddenError(`${NOT_ALLOWED[op]} ${pathId}.`);
  }

  /**
   * A member policy rule, on the image as target: `get_image` must pass first (else the image is
   * hidden, 404), then the rule itself (403).
   */
  private enforce(ctx: RequestContext, image: ImageRecord, rule: string): void {
    const target = this.images.policyTarget(ctx, image);
    if (!this.policy.check(ctx, 'get_image', target)) throw new NotFoundError('');
    if (!this.policy.check(ctx, rule, target)) throw new PolicyDeniedError(rule);
  }

  /**
   * The membership `memberId`, as far as the caller may see it: all of them for the owner and
   * admins, only its own for a member project. For show every refusal is a 404.
   */
  private async lookupMember(
    ctx: RequestContext,
    image: ImageRecord,
    memberId: string,
    op: Operation,
  ): Promise<MemberRecord> {
    try {
      this.enforce(ctx, image, 'get_member');
    } catch (err) {
      if (op === 'show' && err instanceof PolicyDeniedError) throw new NotFoundError(err.message);
      throw err;
    }
    const seesAll = ctx.isAdmin || (ctx.projectId !== null && image.owner === ctx.projectId);
    const member = seesAll || memberId === ctx.projectId ? await this.repo.find(image.id, memberId) : null;
    if (!member) throw this.memberNotFound(image, memberId);
    return member;
  }

  private memberNotFound(image: ImageRecord, memberId: string): NotFoundError {
    return new NotFoundError(`${memberId} not found in the member list of the image ${image.id}.`);
  }
}
