import type { NextFunction, Request, Response } from 'express';

/**
 * Where the client thinks it sent the request: the pieces WebOb builds absolute URLs from
 * (wsgi.url_scheme, HTTP_HOST, SCRIPT_NAME). Behind a reverse proxy they differ from what the
 * socket saw, and Glance trusts the proxy's headers only when [oslo_middleware]
 * enable_proxy_headers_parsing is on, as oslo.middleware's HTTPProxyToWSGI does.
 */
export interface RequestOrigin {
  scheme: string;
  /** The Host header as given (port included), or the listening address without one. */
  host: string;
  /** Path prefix the proxy mounts the API under (X-Forwarded-Prefix); '' when none. */
  scriptName: string;
}

const ORIGINS = new WeakMap<Request, RequestOrigin>();

function socketOrigin(req: Request): RequestOrigin {
  const host = req.headers.host || `${req.socket.localAddress ?? 'localhost'}:${req.socket.localPort ?? ''}`;
  return { scheme: req.protocol, host, scriptName: '' };
}

/** The first proxy's element of an RFC 7239 Forwarded header, values kept as written (as oslo does). */
function firstForwarded(header: string): Record<string, string> {
  const entry: Record<string, string> = {};
  for (const pair of header.split(',')[0].split(';')) {
    const at = pair.indexOf('=');
    const key = (at < 0 ? pair : pair.slice(0, at)).trim().toLowerCase();
    entry[key] = at < 0 ? '' : pair.slice(at + 1).trim();
  }
  return entry;
}

/**
 * Records each request's origin. With parsing on, a Forwarded header wins over the X-Forwarded-*
 * ones (which are then ignored), and X-Forwarded-Prefix is honoured either way.
 */
export function proxyHeadersMiddleware(enabled: boolean) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const origin = socketOrigin(req);
    if (enabled) {
      const forwarded = req.headers.forwarded;
      if (forwarded) {
        const proxy = firstForwarded(forwarded);
        if (proxy.proto) origin.scheme = proxy.proto;
        if (proxy.host) origin.host = proxy.host;
      } else {
        const proto = req.headers['x-forwarded-proto'];
        const host = req.headers['x-forwarded-host'];
        if (typeof proto === 'string' && proto) origin.scheme = proto;
        if (typeof host === 'string' && host) origin.host = host;
      }
      const prefix = req.headers['x-forwarded-prefix'];
      if (typeof prefix === 'string' && prefix) origin.scriptName = prefix;
    }
    ORIGINS.set(req, origin);
    next();
  };
}

export function requestOrigin(req: Request): RequestOrigin {
  return ORIGINS.get(req) ?? socketOrigin(req);
}

/** Header values must stay ASCII; WebOb percent-quotes what is not. */
function asciiPath(path: string): string {
  return path.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

/**
 * A Location header as WebOb makes a relative one absolute: joined to the request URL, so the
 * scheme and host come from the request (the default port dropped) and the path prefix does not.
 */
export function absoluteLocation(req: Request, path: string): string {
  const { scheme, host } = requestOrigin(req);
  let base = `${scheme}://${host}`;
  if (scheme === 'http' && base.endsWith(':80')) base = base.slice(0, -3);
  else if (scheme === 'https' && base.endsWith(':443')) base = base.slice(0, -4);
  return `${base}${asciiPath(path)}`;
}

/** WebOb's application_url: scheme, host (default port dropped) and the proxy's path prefix. */
export function applicationUrl(req: Request): string {
  const { scheme, host, scriptName } = requestOrigin(req);
  let name = host;
  let port: string | undefined;
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !host.endsWith(']')) {
    name = host.slice(0, colon);
    port = host.slice(colon + 1);
  }
  if ((scheme === 'https' && port === '443') || (scheme === 'http' && port === '80')) port = undefined;
  return `${scheme}://${name}${port ? `:${port}` : ''}${encodeURI(scriptName)}`;
}
