import { Injectable } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { tap } from 'rxjs';
import { Notifier } from './notifier.js';
import { NOTIFY } from './notify.decorator.js';
import type { NotifyMetadata } from './notify.decorator.js';

@Injectable()
export class NotifyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly notifier: Notifier,
  ) {}

  intercept(exec: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<NotifyMetadata | undefined>(NOTIFY, exec.getHandler());
    if (!meta) return next.handle();
    const req = exec.switchToHttp().getRequest<Request>();
    return next.handle().pipe(tap((result) => this.notifier.notify(meta.event, meta.payload(result, req))));
  }
}
