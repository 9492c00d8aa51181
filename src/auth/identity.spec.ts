import { UnauthenticatedError } from '../common/errors/domain-errors.js';
import { noauthContext, trustedContext } from './identity.js';

const isAdmin = (roles: string[]) => roles.includes('admin');

describe('trustedContext', () => {
  it('refuses a request without X-Identity-Status: Confirmed', () => {
    expect(() => trustedContext({}, 'req-1', isAdmin)).toThrow(UnauthenticatedError);
    expect(() => trustedContext({ 'x-identity-status': 'Invalid' }, 'req-1', isAdmin)).toThrow(
      UnauthenticatedError,
    );
  });

  it('reads user, project and lower-cased roles from the keystonemiddleware headers', () => {
    const ctx = trustedContext(
      {
        'x-identity-status': 'Confirmed',
        'x-user-id': 'alice',
        'x-project-id': 'p1',
        'x-roles': 'Member, reader',
        'x-domain-id': 'd1',
      },
      'req-1',
      isAdmin,
    );
    expect(ctx.userId).toBe('alice');
    expect(ctx.projectId).toBe('p1');
    expect(ctx.roles).toEqual(['member', 'reader']);
    expect(ctx.isAdmin).toBe(false);
    expect(ctx.extra.domainId).toBe('d1');
    expect(ctx.requestId).toBe('req-1');
  });

  it('falls back to X-Tenant-Id and X-Role, and marks admins', () => {
    const ctx = trustedContext(
      { 'x-identity-status': 'Confirmed', 'x-tenant-id': 't1', 'x-role': 'admin' },
      'req-2',
      isAdmin,
    );
    expect(ctx.projectId).toBe('t1');
    expect(ctx.isAdmin).toBe(true);
  });

  it('takes service roles only from a confirmed service token', () => {
    const base = { 'x-identity-status': 'Confirmed', 'x-service-roles': 'service' };
    expect(trustedContext(base, '', isAdmin).serviceRoles).toEqual([]);
    expect(
      trustedContext({ ...base, 'x-service-identity-status': 'Confirmed' }, '', isAdmin).serviceRoles,
    ).toEqual(['service']);
  });
});

describe('noauthContext', () => {
  it('is an admin without a project, like Glance unauthenticated-context', () => {
    const ctx = noauthContext('req-3');
    expect(ctx.isAdmin).toBe(true);
    expect(ctx.projectId).toBeNull();
  });
});
