import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../filters/glance-exception.filter.js';

/** Image data is streamed by its handlers, never parsed here. */
const DATA_PATHS = /^\/v2\/images\/[^/]+\/(file|stage)\/?$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** The request carried a body (even one the route then refuses). */
    hasBody?: boolean;
  }
}

function bodyAnnounced(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a JSON body whatever its Content-Type (Glance does not insist on one), with Glance's
 * errors: malformed JSON, a scalar instead of an object or array, undecodable bytes, too large.
 */
export function jsonBodyMiddleware(maxBytes: number) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return (req: Request, res: Response, next: NextFunction) => {
    req.hasBody = bodyAnnounced(req);
    if (!req.hasBody || DATA_PATHS.test(req.path)) {
      next();
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      sendError(req, res, { status: 413 });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        sendError(req, res, { status: 413 });
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!failed) next(err);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      if (size === 0) {
        req.hasBody = false;
        next();
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(Buffer.concat(chunks)));
      } catch {
        sendError(req, res, { status: 400, message: 'Malformed JSON in request body.' });
        return;
      }
      if (parsed === null || typeof parsed !== 'object') {
        sendError(req, res, { status: 400, message: 'Unexpected body type. Expected list/dict.' });
        return;
      }
      req.body = parsed;
      next();
    });
  };
}
