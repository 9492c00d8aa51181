import type { AuthMode, AppConfig } from '../config/app-config.js';
import type { RequestContext } from '../auth/request-context.js';
import { KeystoneClient } from '../auth/keystone/keystone-client.js';
import { InvalidError } from '../common/errors/domain-errors.js';
import { pyStr } from '../common/python-repr.js';
import { TaskFailedError } from '../tasks/executor/task-handler.js';

/** The glance-download part of an import request, once checked. */
export interface GlanceDownloadMethod {
  name: 'glance-download';
  glance_region: string;
  glance_image_id: string;
  glance_service_interface: string;
}

/** What Python's uuid.UUID() accepts: optional urn:uuid: prefix and braces, hyphens anywhere, 32 hex digits. */
function looksLikeUuid(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const hex = value
    .replace(/^urn:/, '')
    .replace(/^uuid:/, '')
    .replace(/^\{+|\}+$/g, '')
    .replace(/-/g, '');
  return /^[0-9a-fA-F]{32}$/.test(hex);
}

/**
 * Glance's checks of a glance-download method, made after the image's status and formats; a
 * missing interface becomes `public` in the request the task keeps.
 */
export function checkGlanceDownloadMethod(method: Record<string, unknown>): void {
  if (!('glance_region' in method))
    throw new InvalidError("'glance_region' needs to be set for glance-download import method");
  if (!('glance_image_id' in method))
    throw new InvalidError("'glance_image_id' needs to be set for glance-download import method");
  if (!looksLikeUuid(method.glance_image_id))
    throw new InvalidError(`Remote image id does not look like a UUID: ${pyStr(method.glance_image_id)}`);
  if (!('glance_service_interface' in method)) method.glance_service_interface = 'public';
}

/**
 * The headers the task sends to the remote Image API on the caller's behalf. keystone: the
 * caller's token, as Glance does. oidc: the caller's bearer token. trusted: the identity headers
 * Glint itself trusted (and the token, when the proxy passed one), for a remote behind the same
 * authenticating proxy. noauth: nothing.
 */
export function remoteCredentials(ctx: RequestContext, mode: AuthMode): Record<string, string> {
  const token = ctx.extra.authToken ?? undefined;
  if (mode === 'keystone') return token ? { 'X-Auth-Token': token } : {};
  if (mode === 'oidc') return token ? { Authorization: `Bearer ${token}` } : {};
  if (mode !== 'trusted') return {};
  const headers: Record<string, string> = { 'X-Identity-Status': 'Confirmed' };
  if (ctx.userId) headers['X-User-Id'] = ctx.userId;
  if (ctx.projectId) headers['X-Project-Id'] = ctx.projectId;
  if (ctx.roles.length) headers['X-Roles'] = ctx.roles.join(',');
  if (ctx.extra.userDomainId) headers['X-User-Domain-Id'] = ctx.extra.userDomainId;
  if (ctx.extra.projectDomainId) headers['X-Project-Domain-Id'] = ctx.extra.projectDomainId;
  if (token) headers['X-Auth-Token'] = token;
  return headers;
}

/**
 * Finds the Image API of a remote region: GLINT_GLANCE_DOWNLOAD_ENDPOINTS first (any auth mode),
 * then, with Keystone, the caller's service catalog (type `image`, matching region and interface).
 */
export class GlanceEndpointResolver {
  private keystone?: KeystoneClient;

  constructor(private readonly config: AppConfig) {}

  async resolve(region: string, iface: string, credentials: Record<string, string>): Promise<string> {
    const configured = this.config.glanceDownload.endpoints[region.toLowerCase()];
    if (configured) return configured;
    const token = credentials['X-Auth-Token'];
    if (this.config.auth === 'keystone' && token) {
      this.keystone ??= new KeystoneClient(this.config.glance.keystone_authtoken);
      const catalog = (await this.keystone.catalog(token)) ?? [];
      for (const service of catalog) {
        if (service.type !== 'image') continue;
        const hit = service.endpoints.find(
          (e) => e.region.toLowerCase() === region.toLowerCase() && e.interface === iface,
        );
        if (hit?.url) return hit.url.replace(/\/+$/, '');
      }
    }
    throw new TaskFailedError(`${iface} glance endpoint not found for region ${region}`);
  }
}
