import { Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidError } from '../errors/domain-errors.js';

/** Glance refuses a body on the routes that take none (spec §0, "no body" routes). */
export function refuseBody(req: Request): void {
  if (req.hasBody) throw new InvalidError('A body is not expected with this request.');
}

/** The same rule as a guard, for controllers that declare it with @UseGuards(NoBodyGuard). */
@Injectable()
export class NoBodyGuard implements CanActivate {
  canActivate(exec: ExecutionContext): boolean {
    refuseBody(exec.switchToHttp().getRequest<Request>());
    return true;
  }
}
