import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/request-context.js';
import { NotFoundError, PolicyDeniedError } from '../common/errors/domain-errors.js';
import { PolicyService } from '../policy/policy.service.js';
import type { MetadefNamespaceEntity } from './entities/index.js';
import { MetadefsRepository } from './metadefs.repository.js';

/**
 * Who may see and change a namespace. Glance checks twice: the database layer hides namespaces
 * that are private to another project (admin sees all, a namespace without owner is everyone's),
 * then the API applies the metadef policy rule with the namespace's owner and visibility as target.
 */
@Injectable()
export class MetadefAccess {
  constructor(
    private readonly repo: MetadefsRepository,
    private readonly policy: PolicyService,
  ) {}

  visible(ctx: RequestContext, ns: MetadefNamespaceEntity): boolean {
    if (ctx.isAdmin || ns.owner === null || ns.visibility === 'public') return true;
    return ctx.projectId !== null && ctx.projectId === ns.owner;
  }

  target(ns: MetadefNamespaceEntity): Record<string, string | null> {
    return { project_id: ns.owner, visibility: ns.visibility };
  }

  allows(ctx: RequestContext, rule: string, ns: MetadefNamespaceEntity): boolean {
    return this.policy.check(ctx, rule, this.target(ns));
  }

  /**
   * Applies `rule` to the namespace. A refusal is 403 only when the caller may read the
   * namespace; otherwise it is a bare 404, so that the namespace's existence does not leak.
   */
  enforce(ctx: RequestContext, rule: string, ns?: MetadefNamespaceEntity): void {
    if (!ns) {
      this.policy.enforce(ctx, rule);
      return;
    }
    if (this.allows(ctx, rule, ns)) return;
    if (rule === 'get_metadef_namespace' || !this.allows(ctx, 'get_metadef_namespace', ns)) {
      throw new NotFoundError('');
    }
    throw new PolicyDeniedError(rule);
  }

  /** The namespace under which a call works: `Namespace <name> not found` when it is not there for the caller. */
  async load(
    em: EntityManager,
    ctx: RequestContext,
    name: string,
    lock = false,
  ): Promise<MetadefNamespaceEntity> {
    const ns = lock
      ? await this.repo.findNamespaceForUpdate(em, name)
      : await this.repo.findNamespace(em, name);
    if (!ns || !this.visible(ctx, ns)) throw new NotFoundError(`Namespace ${name} not found`);
    return ns;
  }

  /** load() then the endpoint's rule. */
  async authorize(
    em: EntityManager,
    ctx: RequestContext,
    name: string,
    rule: string,
    lock = false,
  ): Promise<MetadefNamespaceEntity> {
    const ns = await this.load(em, ctx, name, lock);
    this.enforce(ctx, rule, ns);
    return ns;
  }
}
