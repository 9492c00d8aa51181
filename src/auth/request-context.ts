/**
 * Who is calling, built once per request by the AuthGuard and handed to services. Services take
 * it as their first argument instead of reading headers.
 */
export class RequestContext {
  constructor(
    readonly userId: string | null,
    readonly projectId: string | null,
    /** Lower-cased, as Glance lower-cases X-Roles. */
    readonly roles: readonly string[],
    readonly isAdmin: boolean,
    readonly serviceRoles: readonly string[] = [],
    readonly requestId: string = '',
    readonly extra: {
      domainId?: string | null;
      userDomainId?: string | null;
      projectDomainId?: string | null;
      systemScope?: string | null;
      authToken?: string | null;
      userName?: string | null;
      projectName?: string | null;
    } = {},
  ) {}

  hasRole(role: string): boolean {
    return this.roles.includes(role.toLowerCase());
  }

  /** A context for work the service does on its own behalf (background tasks). */
  static internal(requestId = ''): RequestContext {
    return new RequestContext(null, null, ['admin', 'member', 'reader'], true, [], requestId);
  }
}
