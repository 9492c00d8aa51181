import { Catch, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  InvalidError,
  MethodNotAllowedError,
  NotFoundError,
  OverLimitError,
  RangeNotSatisfiableError,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '../errors/domain-errors.js';
import { negotiateErrorType, renderError } from '../http/error-body.js';
import type { ErrorBodyInput } from '../http/error-body.js';
import { allowedMethods } from '../http/route-table.js';
import { AUTH_CHALLENGE } from '../http/auth-challenge.js';

/** The one table from domain error to HTTP status. Order matters: subclasses first. */
const STATUS_BY_ERROR: Array<[abstract new (...args: never[]) => DomainError, number]> = [
  [NotFoundError, 404],
  [ForbiddenError, 403],
  [InvalidError, 400],
  [ConflictError, 409],
  [OverLimitError, 413],
  [UnauthenticatedError, 401],
  [UnsupportedMediaTypeError, 415],
  [RangeNotSatisfiableError, 416],
  [GoneError, 410],
  [UnavailableError, 503],
  [MethodNotAllowedError, 405],
];

export function statusOf(error: DomainError): number {
  return STATUS_BY_ERROR.find(([cls]) => error instanceof cls)?.[1] ?? 500;
}

interface Failure extends ErrorBodyInput {
  headers?: Record<string, string>;
}

/** Nest's own "Cannot GET /x" when no route matched. */
const NO_ROUTE = /^Cannot [A-Z]+ /;

@Catch()
export class GlanceExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() @Inject(AUTH_CHALLENGE) private readonly challenge: string | null = null) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const failure = this.describe(exception, req);
    if (failure.status === 401 && this.challenge && !failure.headers?.['WWW-Authenticate']) {
      failure.headers = { ...failure.headers, 'WWW-Authenticate': this.challenge };
    }
    if (failure.status >= 500) {
      this.logger.error(
        { err: exception, requestId: res.getHeader('x-openstack-request-id') },
        `unexpected error on ${req.method} ${req.originalUrl}`,
      );
    }
    sendError(req, res, failure);
  }

  private describe(exception: unknown, req: Request): Failure {
    if (exception instanceof DomainError) {
      const status = statusOf(exception);
      const failure: Failure = { status, message: exception.message, detail: exception.detail };
      if (exception instanceof MethodNotAllowedError) {
        failure.headers = { Allow: exception.allow.join(', ') };
        failure.method = req.method;
        if (exception.explanationOnly) failure.bare = true;
        else failure.message = undefined;
      }
      if (exception instanceof UnsupportedMediaTypeError) {
        if (exception.acceptPatch) failure.headers = { 'Accept-Patch': exception.acceptPatch };
        failure.mediaType = exception.contentType;
      }
      if (exception instanceof UnauthenticatedError && exception.challenge) {
        failure.headers = { 'WWW-Authenticate': exception.challenge };
      }
      return failure;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const text = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      if (status === 404 && typeof text === 'string' && NO_ROUTE.test(text)) {
        const allow = allowedMethods(req.path);
        if (allow.length) return { status: 405, method: req.method, headers: { Allow: allow.join(', ') } };
        return { status: 404 };
      }
      // Nest's own exceptions (from pipes or guards we did not write) carry English we keep.
      const message = Array.isArray(text) ? text.join('; ') : typeof text === 'string' ? text : undefined;
      return { status, message: status >= 500 ? undefined : message };
    }
    return { status: 500 };
  }
}

/** Writes a Glance-format error; shared with the Express-level handlers that run before Nest. */
export function sendError(req: Request, res: Response, failure: Failure): void {
  if (res.headersSent) {
    // The body is streaming already: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const rendered = renderError(failure, negotiateErrorType(req.headers.accept));
  for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
  res.status(failure.status);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // res.end, not res.send: Express would rewrite the Content-Type's charset.
  res.setHeader('Content-Type', rendered.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(rendered.body));
  res.end(rendered.body);
}
