import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { OidcOptions } from '../../config/auth-options.js';
import { UnauthenticatedError, UnavailableError } from '../../common/errors/domain-errors.js';
import type { Authenticator } from '../authenticator.js';
import { firstHeader, stripIdentityHeaders, withImpliedRoles } from '../authenticator.js';
import { RequestContext } from '../request-context.js';

/** jose errors that mean "this token is not acceptable" (401); any other failure is the issuer's (503). */
const TOKEN_ERRORS = new Set([
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWE_INVALID',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/** Reads a claim by a dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function text(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

/** Roles as an array, or a space- or comma-separated string (as `scope` is written). */
function roleNames(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return list.filter((r): r is string => typeof r === 'string' && r !== '');
}

/**
 * GLINT_AUTH=oidc: a bearer JWT (`Authorization: Bearer`, or `X-Auth-Token` for OpenStack
 * clients given a token) verified against the issuer's JWKS (fetched, cached, re-fetched when an
 * unknown key id appears), with issuer, audience, expiry and algorithms enforced.
 */
export class OidcAuthenticator implements Authenticator {
  readonly challenge: string;
  private readonly logger = new Logger('OIDC');
  private keySet: JWTVerifyGetKey | null = null;
  private pendingKeySet: Promise<JWTVerifyGetKey> | null = null;

  constructor(
    private readonly options: OidcOptions,
    private readonly isAdmin: (roles: string[]) => boolean,
  ) {
    this.challenge = `Bearer realm="${options.realm}"`;
  }

  async authenticate(req: Request): Promise<RequestContext> {
    const authorization = firstHeader(req, 'authorization');
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
    const token = bearer ?? firstHeader(req, 'x-auth-token');
    stripIdentityHeaders(req);
    if (!token) throw new UnauthenticatedError('', { challenge: this.challenge });

    const keys = await this.getKeySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clock_tolerance,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && TOKEN_ERRORS.has(code)) {
        throw new UnauthenticatedError('', { challenge: `${this.challenge}, error="invalid_token"` });
      }
      this.logger.error(`cannot verify bearer tokens: ${(err as Error).message}`);
      throw new UnavailableError('The identity provider is temporarily unavailable.', { detail: true });
    }
    return this.contextOf(payload, token, req.id ?? '');
  }

  private contextOf(payload: JWTPayload, token: string, requestId: string): RequestContext {
    const o = this.options;
    const roles = withImpliedRoles(roleNames(claim(payload, o.roles_claim)), o.implied_roles);
    return new RequestContext(
      text(claim(payload, o.user_claim)),
      text(claim(payload, o.project_claim)),
      roles,
      this.isAdmin(roles),
      [],
      requestId,
      {
        authToken: token,
        userName: text(claim(payload, o.user_name_claim)),
        projectName: text(claim(payload, o.project_name_claim)),
      },
    );
  }

  /** The issuer's key set; its location comes from discovery unless jwks_uri is set. */
  private async getKeySet(): Promise<JWTVerifyGetKey> {
    if (this.keySet) return this.keySet;
    this.pendingKeySet ??= this.discover()
      .then((uri) => {
        this.keySet = createRemoteJWKSet(new URL(uri), {
          timeoutDuration: this.options.http_timeout * 1000,
          cooldownDuration: this.options.jwks_cooldown * 1000,
          cacheMaxAge: this.options.jwks_cache_time * 1000,
        });
        return this.keySet;
      })
      .finally(() => {
        this.pendingKeySet = null;
      });
    return this.pendingKeySet;
  }

  private async discover(): Promise<string> {
    if (this.options.jwks_uri) return this.options.jwks_uri;
    const url = `${this.options.issuer!.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, {
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.http_timeout * 1000),
      });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      const doc = (await res.json()) as { jwks_uri?: unknown };
      if (typeof doc.jwks_uri !== 'string') throw new Error('no jwks_uri in the discovery document');
      return doc.jwks_uri;
    } catch (err) {
      this.logger.error(`OpenID discovery at ${url} failed: ${(err as Error).message}`);
      throw new UnavailableError('The identity provider is temporarily unavailable.', { detail: true });
    }
  }
}
