import type { NextFunction, Request, Response } from 'express';
import type { CorsOptions } from '../../config/glance-options.js';

/** Request headers a browser may always send; oslo.middleware adds them to allow_headers. */
const SIMPLE_HEADERS = [
  'Accept',
  'Accept-Language',
  'Content-Type',
  'Cache-Control',
  'Content-Language',
  'Expires',
  'Last-Modified',
  'Pragma',
];

/**
 * The CORS headers of oslo.middleware's filter as Glance configures it: nothing for an origin that
 * `allowed_origin` does not list (or `*`); for a preflight (OPTIONS with
 * Access-Control-Request-Method), the origin, credentials, max age, the one method asked for and
 * the headers asked for, when the method and every header are allowed; for any other request the
 * origin, credentials and the exposed headers. The answer to the OPTIONS itself is
 * `optionsAsGlance`'s.
 */
export function corsAsGlance(options: CorsOptions) {
  const allowedHeaders = new Set([...options.allow_headers, ...SIMPLE_HEADERS].map((h) => h.toUpperCase()));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !options.allowed_origin.length) {
      next();
      return;
    }
    const granted = options.allowed_origin.includes(origin)
      ? origin
      : options.allowed_origin.includes('*')
        ? '*'
        : undefined;
    if (!granted) {
      next();
      return;
    }
    const allowOrigin = () => {
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Origin', granted);
      if (options.allow_credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    };
    if (req.method === 'OPTIONS') {
      const method = req.headers['access-control-request-method'];
      if (typeof method === 'string' && options.allow_methods.includes(method)) {
        const asked = String(req.headers['access-control-request-headers'] ?? '')
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean);
        if (asked.every((h) => allowedHeaders.has(h.toUpperCase()))) {
          allowOrigin();
          if (options.max_age) res.setHeader('Access-Control-Max-Age', String(options.max_age));
          res.setHeader('Access-Control-Allow-Methods', method);
          if (asked.length) res.setHeader('Access-Control-Allow-Headers', asked.join(','));
        }
      }
    } else {
      allowOrigin();
      if (options.expose_headers.length)
        res.setHeader('Access-Control-Expose-Headers', options.expose_headers.join(','));
    }
    next();
  };
}
