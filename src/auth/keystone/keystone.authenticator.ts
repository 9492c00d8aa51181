import type { Request } from 'express';
import type { KeystoneAuthtokenOptions } from '../../config/auth-options.js';
import { UnauthenticatedError, UnavailableError } from '../../common/errors/domain-errors.js';
import type { Authenticator } from '../authenticator.js';
import { firstHeader, stripIdentityHeaders } from '../authenticator.js';
import { RequestContext } from '../request-context.js';
import { TokenCache } from '../token-cache.js';
import { KeystoneClient, KeystoneUnavailable } from './keystone-client.js';
import type { KeystoneToken } from './keystone-client.js';

const INVALID = 'invalid' as const;
type Cached = KeystoneToken | typeof INVALID;

/** Printable ASCII without spaces: what Fernet, JWS and UUID tokens are made of. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,8192}$/;

/**
 * GLINT_AUTH=keystone: validates X-Auth-Token (and X-Service-Token) with Keystone the way
 * keystonemiddleware's auth_token does, with its in-process token cache, and builds the
 * RequestContext from Keystone's answer only. Identity headers sent by clients are discarded.
 */
export class KeystoneAuthenticator implements Authenticator {
  readonly challenge: string;
  private readonly cache: TokenCache<Cached>;
  private readonly inflight = new Map<string, Promise<KeystoneToken | null>>();

  constructor(
    private readonly options: KeystoneAuthtokenOptions,
    private readonly isAdmin: (roles: string[]) => boolean,
    private readonly client = new KeystoneClient(options),
    private readonly now: () => number = Date.now,
  ) {
    this.challenge = `Keystone uri="${options.www_authenticate_uri ?? options.auth_url}"`;
    this.cache = new TokenCache<Cached>(10_000, now);
  }

  async authenticate(req: Request): Promise<RequestContext> {
    const userToken = firstHeader(req, 'x-auth-token') ?? firstHeader(req, 'x-storage-token');
    const serviceToken = firstHeader(req, 'x-service-token');
    stripIdentityHeaders(req);
    if (!userToken) throw this.unauthenticated();

    // keystonemiddleware checks the service token first; an invalid one refuses the request.
    let serviceRoles: string[] = [];
    if (serviceToken) {
      const service = await this.verify(serviceToken);
      const roles = service.roles.map((r) => r.toLowerCase());
      const required = this.options.service_token_roles.map((r) => r.toLowerCase());
      if (this.options.service_token_roles_required && !roles.some((r) => required.includes(r))) {
        throw this.unauthenticated();
      }
      serviceRoles = roles;
    }
    const user = await this.verify(userToken);
    return this.contextOf(user, serviceRoles, userToken, req.id ?? '');
  }

  private contextOf(
    token: KeystoneToken,
    serviceRoles: string[],
    authToken: string,
    requestId: string,
  ): RequestContext {
    const roles = token.roles.map((r) => r.toLowerCase());
    // Glance's rules are all project-scoped; a system- or domain-scoped token is refused by
    // policy (403), and must not be taken for an admin by code that looks at isAdmin alone.
    const projectScoped = !token.system && !token.domainId;
    return new RequestContext(
      token.userId,
      token.projectId,
      roles,
      projectScoped && this.isAdmin(roles),
      serviceRoles,
      requestId,
      {
        domainId: token.domainId,
        userDomainId: token.userDomainId,
        projectDomainId: token.projectDomainId,
        systemScope: token.system ? 'all' : null,
        authToken,
        userName: token.userName,
        projectName: token.projectName,
      },
    );
  }

  /** Keystone's view of `token`, from the cache when it is there; throws 401 or 503. */
  private async verify(token: string): Promise<KeystoneToken> {
    if (!TOKEN_SHAPE.test(token)) throw this.unauthenticated();
    let found = this.cache.get(token);
    if (found === undefined) {
      const fetched = await this.fetch(token);
      found = fetched ?? INVALID;
    }
    // A cached token is never used past its expiry.
    if (found === INVALID || found.expiresAt <= this.now()) throw this.unauthenticated();
    return found;
  }

  /** Asks Keystone once per token however many requests carry it at the same time. */
  private fetch(token: string): Promise<KeystoneToken | null> {
    const key = TokenCache.keyOf(token);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.ask(token).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async ask(token: string): Promise<KeystoneToken | null> {
    let answer: KeystoneToken | null;
    try {
      answer = await this.client.validate(token);
    } catch (err) {
      if (err instanceof KeystoneUnavailable) {
        throw new UnavailableError('The Keystone service is temporarily unavailable.', { detail: true });
      }
      throw err;
    }
    const cacheTime = this.options.token_cache_time;
    if (cacheTime >= 0) {
      if (answer) {
        this.cache.set(token, answer, Math.min(cacheTime * 1000, answer.expiresAt - this.now()));
      } else {
        this.cache.set(token, INVALID, Math.min(cacheTime, this.options.invalid_token_cache_time) * 1000);
      }
    }
    return answer;
  }

  private unauthenticated(): UnauthenticatedError {
    return new UnauthenticatedError('', { challenge: this.challenge });
  }
}
