import { Logger } from '@nestjs/common';
import type { KeystoneAuthtokenOptions } from '../../config/auth-options.js';

/** What Glint keeps of a validated Keystone token. */
export interface KeystoneToken {
  userId: string;
  userName: string | null;
  userDomainId: string | null;
  projectId: string | null;
  projectName: string | null;
  projectDomainId: string | null;
  /** Set for a domain-scoped token. */
  domainId: string | null;
  /** true for a system-scoped token (`"system": {"all": true}`). */
  system: boolean;
  /** Role names as Keystone lists them, implied roles included. */
  roles: string[];
  expiresAt: number;
}

/** One service of a Keystone v3 catalog. */
export interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region: string; url: string }>;
}

/** Keystone could not answer (down, 5xx, garbage, or it refused Glint's own credentials). */
export class KeystoneUnavailable extends Error {}

type Fetch = typeof fetch;

/** Renew the service token this long before it expires, as keystoneauth does (or at half-life). */
const RENEW_MARGIN_MS = 120_000;
const DEFAULT_TIMEOUT_S = 10;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads Keystone's token document; anything not shaped like one is Keystone misbehaving. */
export function parseTokenBody(body: unknown): KeystoneToken {
  const token = isObject(body) ? body.token : undefined;
  if (!isObject(token)) throw new KeystoneUnavailable('token document without "token"');
  const user = token.user;
  if (!isObject(user) || !str(user.id)) throw new KeystoneUnavailable('token document without user.id');
  const expiresAt = Date.parse(String(token.expires_at));
  if (!Number.isFinite(expiresAt)) throw new KeystoneUnavailable('token document without a valid expires_at');
  const project = isObject(token.project) ? token.project : null;
  const domain = isObject(token.domain) ? token.domain : null;
  const roles = Array.isArray(token.roles) ? token.roles : [];
  return {
    userId: str(user.id)!,
    userName: str(user.name),
    userDomainId: isObject(user.domain) ? str(user.domain.id) : null,
    projectId: project ? str(project.id) : null,
    projectName: project ? str(project.name) : null,
    projectDomainId: project && isObject(project.domain) ? str(project.domain.id) : null,
    domainId: domain ? str(domain.id) : null,
    system: isObject(token.system) && token.system.all === true,
    roles: roles.flatMap((r) => (isObject(r) && str(r.name) ? [str(r.name)!] : [])),
    expiresAt,
  };
}

/**
 * Talks to Keystone for Glint: holds Glint's own service token (password method, renewed before
 * it expires or when Keystone stops accepting it) and validates user tokens with it.
 */
export class KeystoneClient {
  private readonly logger = new Logger('Keystone');
  private readonly base: string;
  private readonly timeoutMs: number;
  private serviceToken: { id: string; renewAt: number } | null = null;
  private pendingServiceToken: Promise<string> | null = null;

  constructor(
    private readonly options: KeystoneAuthtokenOptions,
    private readonly fetchImpl: Fetch = fetch,
    private readonly retryDelayMs = 500,
  ) {
    const url = new URL(options.auth_url!);
    const path = url.pathname.replace(/\/+$/, '');
    // keystonemiddleware discovers the version; an unversioned URL here means v3.
    url.pathname = /\/v3$/.test(path) ? path : `${path}/v3`;
    this.base = url.toString().replace(/\/+$/, '');
    this.timeoutMs = (options.http_connect_timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  }

  /** Keystone's answer for `token`, or null when Keystone says it is not a valid token. */
  async validate(token: string): Promise<KeystoneToken | null> {
    for (let attempt = 0; ; attempt++) {
      const serviceToken = await this.getServiceToken();
      const res = await this.request(`${this.base}/auth/tokens?nocatalog`, {
        method: 'GET',
        headers: { 'X-Auth-Token': serviceToken, 'X-Subject-Token': token, Accept: 'application/json' },
      });
      if (res.status === 200) return parseTokenBody(await this.json(res));
      await res.body?.cancel();
      if (res.status === 404) return null;
      if (res.status === 401 && attempt === 0) {
        // Our own token was revoked or expired early: get another and ask once more.
        this.serviceToken = null;
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        this.logger.error(
          `Keystone answered ${res.status} to Glint's token validation: check that the service user has the service or admin role`,
        );
      } else {
        this.logger.error(`Keystone answered ${res.status} to a token validation`);
      }
      throw new KeystoneUnavailable(`token validation answered ${res.status}`);
    }
  }

  /**
   * The service catalog as `token` sees it (GET /v3/auth/catalog), for calls Glint makes to other
   * services on the caller's behalf; null when Keystone no longer accepts the token.
   */
  async catalog(token: string): Promise<CatalogEntry[] | null> {
    const res = await this.request(`${this.base}/auth/catalog`, {
      method: 'GET',
      headers: { 'X-Auth-Token': token, Accept: 'application/json' },
    });
    if (res.status === 401 || res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new KeystoneUnavailable(`catalog request answered ${res.status}`);
    }
    const body = await this.json(res);
    const entries = isObject(body) && Array.isArray(body.catalog) ? body.catalog : [];
    return entries.filter(isObject).map((e) => ({
      type: str(e.type) ?? '',
      endpoints: (Array.isArray(e.endpoints) ? e.endpoints : []).filter(isObject).map((p) => ({
        interface: str(p.interface) ?? '',
        region: str(p.region) ?? str(p.region_id) ?? '',
        url: str(p.url) ?? '',
      })),
    }));
  }

  /** Glint's own token, fetched once and shared by concurrent callers until it nears expiry. */
  async getServiceToken(): Promise<string> {
    if (this.serviceToken && Date.now() < this.serviceToken.renewAt) return this.serviceToken.id;
    this.pendingServiceToken ??= this.issueServiceToken().finally(() => {
      this.pendingServiceToken = null;
    });
    return this.pendingServiceToken;
  }

  private async issueServiceToken(): Promise<string> {
    const o = this.options;
    const domain = (id?: string, name?: string) => (id ? { id } : { name });
    const user = o.user_id
      ? { id: o.user_id, password: o.password }
      : { name: o.username, domain: domain(o.user_domain_id, o.user_domain_name), password: o.password };
    const project = o.project_id
      ? { id: o.project_id }
      : { name: o.project_name, domain: domain(o.project_domain_id, o.project_domain_name) };
    const res = await this.request(`${this.base}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        auth: { identity: { methods: ['password'], password: { user } }, scope: { project } },
      }),
    });
    if (res.status !== 201) {
      await res.body?.cancel();
      this.logger.error(`Keystone refused Glint's service credentials (${res.status})`);
      throw new KeystoneUnavailable(`service authentication answered ${res.status}`);
    }
    const id = res.headers.get('x-subject-token');
    const parsed = parseTokenBody(await this.json(res));
    if (!id) throw new KeystoneUnavailable('service authentication without X-Subject-Token');
    const now = Date.now();
    const margin = Math.min(RENEW_MARGIN_MS, (parsed.expiresAt - now) / 2);
    this.serviceToken = { id, renewAt: parsed.expiresAt - margin };
    this.logger.log(`service token obtained, valid until ${new Date(parsed.expiresAt).toISOString()}`);
    return id;
  }

  private async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      throw new KeystoneUnavailable('Keystone answered with a body that is not JSON');
    }
  }

  /** One HTTP exchange, retried when it could not connect (http_request_max_retries). */
  private async request(url: string, init: RequestInit): Promise<Response> {
    const retries = this.options.http_request_max_retries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        const why = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        // A timeout already waited long enough; only refused or reset connections are retried.
        if (attempt >= retries || (err as Error).name === 'TimeoutError') {
          this.logger.error(`Keystone unreachable at ${this.base} (${why})`);
          throw new KeystoneUnavailable(`Keystone unreachable (${why})`);
        }
        await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** attempt));
      }
    }
  }
}
