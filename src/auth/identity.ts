import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '../common/errors/domain-errors.js';
import { RequestContext } from './request-context.js';

function header(headers: IncomingHttpHeaders, ...names: string[]): string | null {
  for (const name of names) {
    const value = headers[name.toLowerCase()];
    const text = Array.isArray(value) ? value[0] : value;
    if (text !== undefined && text.trim() !== '') return text.trim();
  }
  return null;
}

function roleList(value: string | null): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
}

/** Glance's unauthenticated context: an admin with no project. */
export function noauthContext(requestId: string): RequestContext {
  return new RequestContext(null, null, ['admin', 'member', 'reader'], true, [], requestId);
}

/**
 * The identity keystonemiddleware (or a gateway doing its job) puts in headers, read the way
 * Glance's context middleware reads it. Anything but `X-Identity-Status: Confirmed` is refused.
 */
export function trustedContext(
  headers: IncomingHttpHeaders,
  requestId: string,
  isAdmin: (roles: string[]) => boolean,
): RequestContext {
  if (header(headers, 'X-Identity-Status') !== 'Confirmed') {
    throw new UnauthenticatedError('');
  }
  const roles = roleList(header(headers, 'X-Roles', 'X-Role'));
  const serviceRoles =
    header(headers, 'X-Service-Identity-Status') === 'Confirmed'
      ? roleList(header(headers, 'X-Service-Roles'))
      : [];
  return new RequestContext(
    header(headers, 'X-User-Id', 'X-User'),
    header(headers, 'X-Project-Id', 'X-Tenant-Id', 'X-Tenant'),
    roles,
    isAdmin(roles),
    serviceRoles,
    requestId,
    {
      domainId: header(headers, 'X-Domain-Id'),
      userDomainId: header(headers, 'X-User-Domain-Id'),
      projectDomainId: header(headers, 'X-Project-Domain-Id'),
      systemScope: header(headers, 'OpenStack-System-Scope'),
      authToken: header(headers, 'X-Auth-Token'),
      userName: header(headers, 'X-User-Name'),
      projectName: header(headers, 'X-Project-Name'),
    },
  );
}
