import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Min,
} from 'class-validator';

const HTTP_URL = /^https?:\/\/[^\s]+$/;

/**
 * `keystone_authtoken:` in GLINT_CONFIG, for GLINT_AUTH=keystone. Option names and defaults are
 * keystonemiddleware's `[keystone_authtoken]` (with the `password` auth plugin's options), so a
 * glance-api.conf section carries over. The few Glint additions are marked.
 */
export class KeystoneAuthtokenOptions {
  /** The public Identity endpoint named in 401 answers' `WWW-Authenticate`; defaults to auth_url. */
  @IsOptional() @Matches(HTTP_URL) www_authenticate_uri?: string;
  /** Where Glint's service user authenticates and validates tokens (…/v3 or unversioned). */
  @IsOptional() @Matches(HTTP_URL) auth_url?: string;
  @IsIn(['password']) auth_type = 'password';
  @IsOptional() @IsString() username?: string;
  @IsOptional() @IsString() user_id?: string;
  @IsOptional() @IsString() password?: string;
  @IsOptional() @IsString() user_domain_name?: string;
  @IsOptional() @IsString() user_domain_id?: string;
  @IsOptional() @IsString() project_name?: string;
  @IsOptional() @IsString() project_id?: string;
  @IsOptional() @IsString() project_domain_name?: string;
  @IsOptional() @IsString() project_domain_id?: string;
  /** Seconds a validated token is reused without asking Keystone; -1 turns caching off. */
  @IsInt() @Min(-1) token_cache_time = 300;
  /** Glint: seconds a token Keystone refused is refused without asking again. */
  @IsInt() @Min(0) invalid_token_cache_time = 10;
  /** Seconds one request to Keystone may take (keystonemiddleware has no limit; Glint: 10). */
  @IsOptional() @IsInt() @Min(1) http_connect_timeout?: number;
  /** Retries of a request to Keystone that could not connect. */
  @IsInt() @Min(0) http_request_max_retries = 3;
  /** Roles that make an X-Service-Token a service token. */
  @IsArray() @IsString({ each: true }) service_token_roles: string[] = ['service'];
  /** true: a service token without one of service_token_roles is refused (401). */
  @IsBoolean() service_token_roles_required = false;
}

/**
 * `oidc:` in GLINT_CONFIG, for GLINT_AUTH=oidc (a Glint addition): bearer JWTs from an OpenID
 * Connect issuer, and how their claims map onto the caller's user, project and roles.
 */
export class OidcOptions {
  @IsOptional() @Matches(HTTP_URL) issuer?: string;
  /** Where the signing keys are; unset: from the issuer's /.well-known/openid-configuration. */
  @IsOptional() @Matches(HTTP_URL) jwks_uri?: string;
  /** Accepted `aud` values; a token must name one of them. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsString({ each: true })
  audience: string[] = [];
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  algorithms: string[] = [
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
  ];
  /** Seconds of clock skew allowed on exp/nbf/iat. */
  @IsInt() @Min(0) clock_tolerance = 30;
  /** Seconds the key set is kept before it is fetched again. */
  @IsInt() @Min(1) jwks_cache_time = 600;
  /** Seconds between fetches triggered by an unknown key id (rotation). */
  @IsInt() @Min(0) jwks_cooldown = 30;
  /** Seconds a request to the issuer may take. */
  @IsInt() @Min(1) http_timeout = 5;
  /** Claim names; dotted paths reach into objects (e.g. `realm_access.roles`). */
  @IsString() user_claim = 'sub';
  @IsString() user_name_claim = 'preferred_username';
  @IsString() project_claim = 'project_id';
  @IsString() project_name_claim = 'project_name';
  @IsString() roles_claim = 'roles';
  /** Roles a role brings along, as Keystone's implied roles do (admin ⇒ member ⇒ reader). */
  @IsObject() implied_roles: Record<string, string[]> = { admin: ['member'], member: ['reader'] };
  /** The realm named in 401 answers' `WWW-Authenticate: Bearer`. */
  @IsString() realm = 'glint';
}

/** What GLINT_AUTH=keystone and =oidc cannot start without; the message names the missing key. */
export function missingAuthSettings(
  mode: string,
  keystone: KeystoneAuthtokenOptions,
  oidc: OidcOptions,
): string[] {
  const missing: string[] = [];
  if (mode === 'keystone') {
    if (!keystone.auth_url) missing.push('keystone_authtoken.auth_url (or GLINT_KEYSTONE_AUTH_URL)');
    if (!keystone.password) missing.push('keystone_authtoken.password (or GLINT_KEYSTONE_PASSWORD)');
    if (!keystone.username && !keystone.user_id)
      missing.push('keystone_authtoken.username or user_id (or GLINT_KEYSTONE_USERNAME)');
    if (keystone.username && !keystone.user_domain_name && !keystone.user_domain_id)
      missing.push('keystone_authtoken.user_domain_name or user_domain_id');
    if (!keystone.project_name && !keystone.project_id)
      missing.push('keystone_authtoken.project_name or project_id');
    if (keystone.project_name && !keystone.project_domain_name && !keystone.project_domain_id)
      missing.push('keystone_authtoken.project_domain_name or project_domain_id');
  }
  if (mode === 'oidc') {
    if (!oidc.issuer) missing.push('oidc.issuer (or GLINT_OIDC_ISSUER)');
    if (!oidc.audience.length) missing.push('oidc.audience (or GLINT_OIDC_AUDIENCE)');
  }
  return missing;
}
