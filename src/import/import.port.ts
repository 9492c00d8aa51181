import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context.js';
import { ImportService } from './import.service.js';

/**
 * What POST /v2/images/{id}/import calls: ImportService where the task queue is (GLINT_ROLE=all),
 * or the registry, which runs it there (GLINT_ROLE=api, src/registry).
 */
export abstract class ImportApi {
  abstract start(ctx: RequestContext, id: string, body: unknown, store: string | undefined): Promise<void>;
}

@Injectable()
export class LocalImportApi extends ImportApi {
  constructor(private readonly imports: ImportService) {
    super();
  }
  start(ctx: RequestContext, id: string, body: unknown, store: string | undefined): Promise<void> {
    return this.imports.start(ctx, id, body, store);
  }
}
