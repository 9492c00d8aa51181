import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { PolicyService } from '../policy/policy.service.js';
import { StoreRegistry } from './store-registry.js';
import type { StoreInfo } from './store-registry.js';

/** The store discovery calls (GET /v2/info/stores[/detail]). */
@Injectable()
export class StoresService {
  constructor(
    private readonly registry: StoreRegistry,
    private readonly policy: PolicyService,
  ) {}

  list(): StoreInfo[] {
    return this.registry.info(false);
  }

  /** Glance answers 404 without multi-store before it looks at the policy. */
  detail(ctx: RequestContext): StoreInfo[] {
    const stores = this.registry.info(true);
    this.policy.enforce(ctx, 'stores_info_detail');
    return stores;
  }
}
