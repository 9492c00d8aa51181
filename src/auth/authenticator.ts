import type { Request } from 'express';
import type { RequestContext } from './request-context.js';

/** Turns a request into the caller's RequestContext, or throws Unauthenticated/Unavailable. */
export interface Authenticator {
  authenticate(req: Request): Promise<RequestContext>;
  /** The `WWW-Authenticate` value of this mode's 401 answers, or null. */
  readonly challenge: string | null;
}

export const AUTHENTICATOR = Symbol('AUTHENTICATOR');

/**
 * The identity headers keystonemiddleware sets. In the modes where Glint validates tokens itself
 * they are removed from the request first, as keystonemiddleware does, so a client's copy can
 * never be mistaken for a confirmed identity further down.
 */
export const IDENTITY_HEADERS = [
  'x-identity-status',
  'x-service-identity-status',
  'x-domain-id',
  'x-domain-name',
  'x-project-id',
  'x-project-name',
  'x-project-domain-id',
  'x-project-domain-name',
  'x-user-id',
  'x-user-name',
  'x-user-domain-id',
  'x-user-domain-name',
  'x-roles',
  'x-role',
  'x-service-roles',
  'x-service-domain-id',
  'x-service-domain-name',
  'x-service-project-id',
  'x-service-project-name',
  'x-service-project-domain-id',
  'x-service-project-domain-name',
  'x-service-user-id',
  'x-service-user-name',
  'x-service-user-domain-id',
  'x-service-user-domain-name',
  'x-service-catalog',
  'x-is-admin-project',
  'openstack-system-scope',
  'x-tenant-id',
  'x-tenant-name',
  'x-tenant',
  'x-user',
];

export function stripIdentityHeaders(req: Request): void {
  for (const name of IDENTITY_HEADERS) delete req.headers[name];
}

export function firstHeader(req: Request, name: string): string | null {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? null : text.trim();
}

/** Keystone implies roles (admin ⇒ member ⇒ reader) inside tokens; identity providers do not. */
export function withImpliedRoles(roles: string[], implied: Record<string, string[]>): string[] {
  const out = new Set<string>();
  const visit = (role: string) => {
    if (out.has(role)) return;
    out.add(role);
    for (const next of implied[role] ?? []) visit(next.toLowerCase());
  };
  roles.forEach((r) => visit(r.toLowerCase()));
  return [...out];
}
