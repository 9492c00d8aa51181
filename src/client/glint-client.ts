import { ClientProxyFactory } from '@nestjs/microservices';
import type { ClientOptions, ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { MESH_PATTERNS } from './contract.js';
import type {
  GlanceImage,
  GlanceImageList,
  ImagePatchOp,
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

/** Glance image operations over the mesh, each resolving to Glance's JSON. */
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
  listImages(query: MeshRequests['listImages']['query'] = {}): Promise<GlanceImageList> {
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
}
