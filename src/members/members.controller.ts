import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx } from '../auth/ctx.decorator.js';
import type { RequestContext } from '../auth/request-context.js';
import { InvalidError } from '../common/errors/domain-errors.js';
import { Policy } from '../policy/policy.decorator.js';
import { parseAddMember, parseMemberStatus } from './dto/member-bodies.js';
import { memberView } from './member-record.js';
import { MembersService } from './members.service.js';

/** Glance refuses a body on routes that take none. */
function noBody(req: Request): void {
  if (req.hasBody) throw new InvalidError('A body is not expected with this request.');
}

@ApiTags('members')
@Controller('v2/images/:image_id/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @Policy('get_members', 'resource')
  @ApiOperation({
    summary: 'Members of a shared image: all of them for the owner, its own membership for a member',
  })
  async list(@Ctx() ctx: RequestContext, @Param('image_id') imageId: string, @Req() req: Request) {
    noBody(req);
    const members = await this.members.list(ctx, imageId);
    return { members: members.map(memberView), schema: '/v2/schemas/members' };
  }

  @Post()
  @HttpCode(200)
  @Policy('add_member', 'resource')
  @ApiOperation({ summary: 'Share a shared image with a project (status pending); 200, as Glance' })
  @ApiBody({ schema: { type: 'object', properties: { member: { type: 'string' } }, required: ['member'] } })
  async add(@Ctx() ctx: RequestContext, @Param('image_id') imageId: string, @Body() body: unknown) {
    const memberId = parseAddMember(body);
    return memberView(await this.members.add(ctx, imageId, memberId));
  }

  @Get(':member_id')
  @Policy('get_member', 'resource')
  @ApiOperation({ summary: 'One membership (404 for anything the caller may not see)' })
  async show(
    @Ctx() ctx: RequestContext,
    @Param('image_id') imageId: string,
    @Param('member_id') memberId: string,
    @Req() req: Request,
  ) {
    noBody(req);
    return memberView(await this.members.show(ctx, imageId, memberId));
  }

  @Put(':member_id')
  @Policy('modify_member', 'resource')
  @ApiOperation({ summary: "The member project's answer: pending, accepted or rejected" })
  @ApiBody({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['pending', 'accepted', 'rejected'] } },
      required: ['status'],
    },
  })
  async update(
    @Ctx() ctx: RequestContext,
    @Param('image_id') imageId: string,
    @Param('member_id') memberId: string,
    @Body() body: unknown,
  ) {
    const status = parseMemberStatus(body);
    return memberView(await this.members.update(ctx, imageId, memberId, status));
  }

  @Delete(':member_id')
  @HttpCode(204)
  @Policy('delete_member', 'resource')
  @ApiOperation({ summary: 'Stop sharing with a project (the owner or an admin)' })
  async remove(
    @Ctx() ctx: RequestContext,
    @Param('image_id') imageId: string,
    @Param('member_id') memberId: string,
    @Req() req: Request,
  ): Promise<void> {
    noBody(req);
    await this.members.remove(ctx, imageId, memberId);
  }
}
