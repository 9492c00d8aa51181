import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config.js';
import { acceptedPrefixes, versionsDocument } from '../../versions/versions.js';
import { sendError } from '../filters/glance-exception.filter.js';
import { allowedMethods } from './route-table.js';

/** First path segments served outside the versioned API. */
const UNVERSIONED = new Set(['', 'versions', 'healthcheck', 'health', 'api-docs', 'api-docs-json']);
const VERSION_MEDIA_TYPE = /application\/vnd\.openstack\.images-(v[\d.]+)/;

/**
 * Repeated slashes in a path count as one, as Glance's router reads them: `//v2/images` and
 * `/v2//images` are the image list (a catalog endpoint ending in `/` gives such paths).
 */
export function collapseSlashes(req: Request, _res: Response, next: NextFunction): void {
  const query = req.url.indexOf('?');
  const path = query >= 0 ? req.url.slice(0, query) : req.url;
  if (path.includes('//')) req.url = path.replace(/\/{2,}/g, '/') + (query >= 0 ? req.url.slice(query) : '');
  next();
}

/**
 * Glance's version negotiation: `/v2.x/...` is served as `/v2/...`, a version may be asked for
 * in Accept, and a path under no known version gets the versions document with 300.
 */
export function versionNegotiationMiddleware(config: AppConfig) {
  const prefixes = acceptedPrefixes(config);
  return (req: Request, res: Response, next: NextFunction) => {
    const [, first = ''] = req.path.split('/');
    if (prefixes.has(first)) {
      if (first !== 'v2') req.url = '/v2' + req.url.slice(first.length + 1);
      next();
      return;
    }
    if (UNVERSIONED.has(first) || first.startsWith('api-docs')) {
      next();
      return;
    }
    const asked = VERSION_MEDIA_TYPE.exec(req.headers.accept ?? '')?.[1];
    if (asked && prefixes.has(asked)) {
      req.url = '/v2' + req.url;
      next();
      return;
    }
    res.status(300).json(versionsDocument(config, req));
  };
}

/** Glance offers no HEAD on the API; Express would answer HEAD through GET. */
export function rejectHead(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'HEAD' && req.path.startsWith('/v2/')) {
    const allow = allowedMethods(req.path);
    if (allow.length)
      sendError(req, res, { status: 405, method: req.method, headers: { Allow: allow.join(', ') } });
    else sendError(req, res, { status: 404 });
    return;
  }
  next();
}

/** Paths whose Glance handlers answer every method, OPTIONS included. */
const ANY_METHOD = new Set(['/versions', '/healthcheck']);

/**
 * OPTIONS as Glance answers it. oslo.middleware's CORS filter, first in Glance's pipeline, lets the
 * application answer and replaces any answer that is not 2xx with an empty 200 (no Content-Type);
 * Glance's API routes answer OPTIONS with 404 or 405, so an OPTIONS anywhere, authenticated or
 * not, gets that empty 200, except where the handler answers every method. No CORS headers are
 * added: Glance adds them only for origins its [cors] section allows, and Glint has no such
 * section.
 */
export function optionsAsGlance(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'OPTIONS') {
    next();
    return;
  }
  if (ANY_METHOD.has(req.path)) {
    req.method = 'GET';
    next();
    return;
  }
  res.status(200).set('Content-Length', '0').end();
}
