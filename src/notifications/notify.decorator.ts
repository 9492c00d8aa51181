import { SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import type { Request } from 'express';
import { NotifyInterceptor } from './notify.interceptor.js';

export const NOTIFY = 'glint:notify';

export interface NotifyMetadata {
  event: string;
  /** Builds the payload from what the handler returned (and the request), e.g. an image formatter. */
  payload: (result: unknown, req: Request) => unknown;
}

/** Publishes `event` after the handler has succeeded; nothing is sent when it throws. */
export const Notify = (event: string, payload: NotifyMetadata['payload']) =>
  applyDecorators(
    SetMetadata(NOTIFY, { event, payload } satisfies NotifyMetadata),
    UseInterceptors(NotifyInterceptor),
  );
