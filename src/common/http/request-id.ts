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
 * A client's own id is kept, prefixed `req-` as Glance does, when it is plain enough to log and
 * no longer than max_request_id_length before the prefix (0: any length), as Glance measures it.
 * Glance means to refuse a longer one with 431 but answers 500; Glint gives it an id of its own.
 */
export function requestIdMiddleware(maxLength: number) {
  return (req: Request, res: Response, next: NextFunction) => {
    const offered = req.headers[REQUEST_ID_HEADER];
    let id = typeof offered === 'string' ? offered.trim() : '';
    const tooLong = maxLength > 0 && id.length > maxLength;
    if (id && !id.startsWith('req-')) id = `req-${id}`;
    if (!id || tooLong || !SAFE_ID.test(id)) id = `req-${randomUUID()}`;
    req.id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
