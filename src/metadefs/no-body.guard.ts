import { Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { InvalidError } from '../common/errors/domain-errors.js';

/** Glance refuses a body on its show and delete routes (and the schema documents). */
@Injectable()
export class NoBodyGuard implements CanActivate {
  canActivate(exec: ExecutionContext): boolean {
    if (exec.switchToHttp().getRequest<Request>().hasBody) {
      throw new InvalidError('A body is not expected with this request.');
    }
    return true;
  }
}
