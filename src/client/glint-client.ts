import { ClientProxyFactory } from '@nestjs/microservices';
import type { ClientOptions, ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { MESH_PATTERNS } from './contract.js';
import type {
  GlanceImage,
  GlanceImageList,
  GlanceImageTask,
  GlanceMember,
  GlanceMemberList,
  GlanceTask,
  GlanceTaskList,
  ImagePatchOp,
  ImportRequest,
  MemberStatus,
  MeshQuery,
  MeshErrorBody,
  MeshIdentity,
  MeshPatternName,
  MeshReplies,
  MeshRequests,
} from './contract.js';
import { meshClientOptions } from './transport-url.js';

export interface GlintClientOptions {
  /** A mesh URL (nats://, amqp://, redis://, tcp://) or @nestjs/microservices client options. */
  transport: string | ClientOptions;
  /** Glint's GLINT_MESH_PREFIX (default `glint`). */
  prefix?: string;
  /** Glint's GLINT_MESH_TOKEN, when it has one. */
  token?: string;
  /** The identity calls carry unless `as()` gives another. */
  identity?: MeshIdentity;
  /** How long a call waits for its reply, in ms (default 30 s). */
  timeoutMs?: number;
}

/** A call Glint refused or failed: `code` is the HTTP status Glance would have answered. */
export class GlintError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'GlintError';
  }
}

function toGlintError(err: unknown): Error {
  if (err instanceof Error && err.name === 'TimeoutError')
    return new GlintError(504, 'Glint did not answer in time.');
  if (typeof err === 'object' && err !== null && 'code' in err && 'message' in err) {
    const body = err as MeshErrorBody;
    if (typeof body.code === 'number') return new GlintError(body.code, String(body.message));
  }
  return err instanceof Error ? err : new GlintError(500, String(err));
}

/** Glance's image, member, import and task operations over the mesh, each resolving to Glance's JSON. */
export class GlintClient {
  constructor(
    private readonly proxy: ClientProxy,
    private readonly options: Omit<GlintClientOptions, 'transport'>,
  ) {}

  static create(options: GlintClientOptions): GlintClient {
    const { transport, ...rest } = options;
    const proxy = ClientProxyFactory.create(
      typeof transport === 'string' ? meshClientOptions(transport) : transport,
    );
    return new GlintClient(proxy, rest);
  }

  /** The same connection, calling as someone else (e.g. the user a request came from). */
  as(identity: MeshIdentity): GlintClient {
    return new GlintClient(this.proxy, { ...this.options, identity });
  }

  async connect(): Promise<void> {
    await this.proxy.connect();
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }

  /** Sends one pattern's message and waits for its reply; errors reject as GlintError. */
  async call<P extends MeshPatternName>(name: P, request: MeshRequests[P]): Promise<MeshReplies[P]> {
    const pattern = `${this.options.prefix ?? 'glint'}.${MESH_PATTERNS[name]}`;
    const message = {
      ...request,
      ...(this.options.identity ? { identity: this.options.identity } : {}),
      ...(this.options.token !== undefined ? { token: this.options.token } : {}),
    };
    try {
      const reply = await firstValueFrom(
        this.proxy.send<MeshReplies[P]>(pattern, message).pipe(timeout(this.options.timeoutMs ?? 30_000)),
        { defaultValue: null as MeshReplies[P] },
      );
      return reply;
    } catch (err) {
      throw toGlintError(err);
    }
  }

  getImage(id: string): Promise<GlanceImage> {
    return this.call('getImage', { id });
  }

  /** `query` takes GET /v2/images's parameters (limit, marker, sort, filters). */
  listImages(query: MeshQuery = {}): Promise<GlanceImageList> {
    return this.call('listImages', { query });
  }

  createImage(image: Record<string, unknown>): Promise<GlanceImage> {
    return this.call('createImage', { image });
  }

  updateImage(id: string, ops: ImagePatchOp[]): Promise<GlanceImage> {
    return this.call('updateImage', { id, ops });
  }

  async deleteImage(id: string): Promise<void> {
    await this.call('deleteImage', { id });
  }

  async addTag(id: string, tag: string): Promise<void> {
    await this.call('addTag', { id, tag });
  }

  async removeTag(id: string, tag: string): Promise<void> {
    await this.call('removeTag', { id, tag });
  }

  async deactivateImage(id: string): Promise<void> {
    await this.call('deactivateImage', { id });
  }

  async reactivateImage(id: string): Promise<void> {
    await this.call('reactivateImage', { id });
  }

  /** All members for the owner; only its own membership for a member project. */
  listMembers(imageId: string): Promise<GlanceMemberList> {
    return this.call('listMembers', { image_id: imageId });
  }

  getMember(imageId: string, memberId: string): Promise<GlanceMember> {
    return this.call('getMember', { image_id: imageId, member_id: memberId });
  }

  /** Shares a shared image with a project (status pending). */
  addMember(imageId: string, memberId: string): Promise<GlanceMember> {
    return this.call('addMember', { image_id: imageId, member: memberId });
  }

  /** The member project's answer to a share. */
  updateMember(imageId: string, memberId: string, status: MemberStatus): Promise<GlanceMember> {
    return this.call('updateMember', { image_id: imageId, member_id: memberId, status });
  }

  async removeMember(imageId: string, memberId: string): Promise<void> {
    await this.call('removeMember', { image_id: imageId, member_id: memberId });
  }

  /** Starts an import task (resolves when it is queued); `store` is X-Image-Meta-Store. */
  async importImage(id: string, body: ImportRequest, store?: string): Promise<void> {
    await this.call('importImage', { id, body, ...(store !== undefined ? { store } : {}) });
  }

  /** The image's tasks (e.g. its imports), for anyone who can see the image. */
  listImageTasks(id: string): Promise<{ tasks: GlanceImageTask[] }> {
    return this.call('listImageTasks', { id });
  }

  /** GET /v2/tasks/{id}: admin only by default (tasks_api_access). */
  getTask(id: string): Promise<GlanceTask> {
    return this.call('getTask', { id });
  }

  /** GET /v2/tasks: admin only by default (tasks_api_access). */
  listTasks(query: MeshQuery = {}): Promise<GlanceTaskList> {
    return this.call('listTasks', { query });
  }
}
