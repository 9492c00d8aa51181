import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'x-openstack-request-id';
const SAFE_ID = /^[A-Za-z0-9_.-]+$/;

declare module 'express-serve-static-core' {
  interface Request {
    id?: string;
  }
}

/**
 * Gives every request an id, sent back in `x-openstack-request-id` and carried by every log line.
 * A client's own id is kept, prefixed `req-` as Glance does, when it is short and plain enough to log.
 */
export function requestIdMiddleware(maxLength: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    const offered = req.headers[REQUEST_ID_HEADER];
    let id = typeof offered === 'string' ? offered.trim() : '';
    if (id && !id.startsWith('req-')) id = `req-${id}`;
    if (!id || id.length > maxLength || !SAFE_ID.test(id)) id = `req-${randomUUID()}`;
    req.id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
