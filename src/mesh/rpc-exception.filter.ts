import { Catch, Logger } from '@nestjs/common';
import type { RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import type { MeshErrorBody } from '../client/contract.js';
import { DomainError } from '../common/errors/domain-errors.js';
import { statusOf } from '../common/filters/glance-exception.filter.js';

/** The mesh's error reply: the HTTP filter's status table, as `{ code, message }`. */
export function meshError(exception: unknown): MeshErrorBody {
  if (exception instanceof DomainError) return { code: statusOf(exception), message: exception.message };
  if (exception instanceof RpcException) {
    const error = exception.getError();
    if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
      return error as MeshErrorBody;
    }
  }
  return {
    code: 500,
    message: 'The server has either erred or is incapable of performing the requested operation.',
  };
}

@Catch()
export class RpcGlanceExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('MeshErrors');

  catch(exception: unknown): Observable<never> {
    const body = meshError(exception);
    if (body.code >= 500) this.logger.error({ err: exception }, 'unexpected error in a mesh handler');
    return throwError(() => body);
  }
}
