import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config.js';
import { acceptedPrefixes, versionsDocument } from '../../versions/versions.js';
import { sendError } from '../filters/glance-exception.filter.js';
import { allowedMethods } from './route-table.js';

/** First path segments served outside the versioned API. */
const UNVERSIONED = new Set(['', 'versions', 'healthcheck', 'health', 'api-docs', 'api-docs-json']);
const VERSION_MEDIA_TYPE = /application\/vnd\.openstack\.images-(v[\d.]+)/;

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

/** Glance offers neither HEAD nor OPTIONS on the API; Express would answer HEAD through GET. */
export function rejectHeadAndOptions(req: Request, res: Response, next: NextFunction): void {
  if ((req.method === 'HEAD' || req.method === 'OPTIONS') && req.path.startsWith('/v2/')) {
    const allow = allowedMethods(req.path);
    if (allow.length)
      sendError(req, res, { status: 405, method: req.method, headers: { Allow: allow.join(', ') } });
    else sendError(req, res, { status: 404 });
    return;
  }
  next();
}
