import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

/** true when Debian's keystone and uwsgi are installed (CI installs them in .ci/run). */
export function keystoneInstalled(): boolean {
  return ['/usr/bin/keystone-manage', '/usr/bin/uwsgi', '/usr/bin/keystone-wsgi-public'].every((f) =>
    existsSync(f),
  );
}

export interface KeystoneServer {
  dir: string;
  url: string;
  adminPassword: string;
  /** Stops the uwsgi process; the data stays so that start() brings the same Keystone back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

/**
 * A throw-away Keystone from test/support/keystone/start.sh. GLINT_TEST_KEYSTONE_DIR reuses (and
 * keeps) one directory between runs, which saves the minute db_sync takes while working on tests.
 */
export async function startKeystone(): Promise<KeystoneServer> {
  const keep = process.env.GLINT_TEST_KEYSTONE_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'glint-keystone-'));
  const start = async () => {
    const { stdout } = await run(join(HERE, 'start.sh'), [dir], { timeout: 280_000 });
    return Object.fromEntries(
      stdout
        .split('\n')
        .map((l) => l.match(/^(KEYSTONE_\w+)=(.*)$/))
        .filter((m): m is RegExpMatchArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
  };
  const env = await start();
  const stop = async () => {
    await run(join(HERE, 'stop.sh'), [dir]);
  };
  return {
    dir,
    url: env.KEYSTONE_URL,
    adminPassword: env.KEYSTONE_ADMIN_PASSWORD,
    stop,
    start: async () => {
      await start();
    },
    destroy: async () => {
      if (keep) await stop();
      else await run(join(HERE, 'stop.sh'), [dir, '--purge']);
    },
  };
}

export interface IssuedToken {
  id: string;
  expiresAt: string;
  body: Record<string, unknown>;
}

export type Scope =
  | { project: { id: string } }
  | { project: { name: string; domain: { id: string } } }
  | { system: { all: true } };

/** Keystone's v3 API, enough for tests to make users, projects, roles and tokens. */
export class KeystoneApi {
  constructor(
    readonly url: string,
    private readonly adminToken: string,
  ) {}

  static async issue(
    url: string,
    user: { name: string; password: string },
    scope?: Scope,
  ): Promise<IssuedToken> {
    const res = await fetch(`${url}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } },
          },
          ...(scope ? { scope } : {}),
        },
      }),
    });
    if (res.status !== 201) throw new Error(`token for ${user.name}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { token: { expires_at: string } };
    return { id: res.headers.get('x-subject-token')!, expiresAt: body.token.expires_at, body };
  }

  static async asAdmin(url: string, password: string): Promise<KeystoneApi> {
    const token = await KeystoneApi.issue(
      url,
      { name: 'admin', password },
      { project: { name: 'admin', domain: { id: 'default' } } },
    );
    return new KeystoneApi(url, token.id);
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'X-Auth-Token': this.adminToken, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? {} : await res.json()) as T;
  }

  async role(name: string): Promise<string> {
    const found = await this.call<{ roles: Array<{ id: string }> }>('GET', `/roles?name=${name}`);
    if (found.roles.length) return found.roles[0].id;
    return (await this.call<{ role: { id: string } }>('POST', '/roles', { role: { name } })).role.id;
  }

  async project(name: string): Promise<string> {
    const res = await this.call<{ project: { id: string } }>('POST', '/projects', {
      project: { name, domain_id: 'default' },
    });
    return res.project.id;
  }

  async user(name: string, password: string): Promise<string> {
    const res = await this.call<{ user: { id: string } }>('POST', '/users', {
      user: { name, password, domain_id: 'default' },
    });
    return res.user.id;
  }

  async grant(projectId: string, userId: string, role: string): Promise<void> {
    await this.call('PUT', `/projects/${projectId}/users/${userId}/roles/${await this.role(role)}`);
  }

  async grantSystem(userId: string, role: string): Promise<void> {
    await this.call('PUT', `/system/users/${userId}/roles/${await this.role(role)}`);
  }

  async revoke(token: string): Promise<void> {
    const res = await fetch(`${this.url}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': this.adminToken, 'X-Subject-Token': token },
    });
    if (res.status !== 204) throw new Error(`revoke: ${res.status}`);
  }

  /** Puts an image service at `url` in the catalog, as a deployment registers Glance. */
  async registerImageEndpoint(url: string): Promise<void> {
    // A reused Keystone (GLINT_TEST_KEYSTONE_DIR) still lists the Glint of an earlier run.
    const old = await this.call<{ services: Array<{ id: string }> }>('GET', '/services?type=image');
    for (const service of old.services) {
      const eps = await this.call<{ endpoints: Array<{ id: string }> }>(
        'GET',
        `/endpoints?service_id=${service.id}`,
      );
      for (const ep of eps.endpoints) await this.call('DELETE', `/endpoints/${ep.id}`);
      await this.call('DELETE', `/services/${service.id}`);
    }
    const service = await this.call<{ service: { id: string } }>('POST', '/services', {
      service: { type: 'image', name: 'glint' },
    });
    for (const iface of ['public', 'internal', 'admin']) {
      await this.call('POST', '/endpoints', {
        endpoint: { service_id: service.service.id, interface: iface, url, region_id: 'RegionOne' },
      });
    }
  }
}
