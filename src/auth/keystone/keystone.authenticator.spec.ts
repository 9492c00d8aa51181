import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { KeystoneAuthtokenOptions } from '../../config/auth-options.js';
import { UnauthenticatedError, UnavailableError } from '../../common/errors/domain-errors.js';
import { KeystoneAuthenticator } from './keystone.authenticator.js';
import { KeystoneClient } from './keystone-client.js';

/**
 * The failure modes a real Keystone cannot be made to show on demand (5xx, garbage, refused
 * service credentials, short-lived service tokens), against a small HTTP server on loopback.
 * The happy paths run against a real Keystone in test/e2e/keystone.e2e-spec.ts.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FakeKeystone {
  url: string;
  calls: Array<{ method: string; subject?: string; auth?: string }>;
  handle: { validate: Handler; issue: Handler };
  close(): Promise<void>;
}

function tokenBody(expiresAt: Date, roles = ['member', 'reader'], extra: Record<string, unknown> = {}) {
  return {
    token: {
      user: { id: 'u1', name: 'alice', domain: { id: 'default' } },
      project: { id: 'p1', name: 'P', domain: { id: 'default' } },
      roles: roles.map((name, i) => ({ id: `r${i}`, name })),
      expires_at: expiresAt.toISOString(),
      ...extra,
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

let serviceTokenSerial = 0;
const issueFor =
  (lifetimeMs: number): Handler =>
  (_req, res) =>
    json(res, 201, tokenBody(new Date(Date.now() + lifetimeMs), ['service']), {
      'X-Subject-Token': `svc-${++serviceTokenSerial}`,
    });

async function fakeKeystone(): Promise<FakeKeystone> {
  const calls: FakeKeystone['calls'] = [];
  const handle = {
    issue: issueFor(3_600_000),
    validate: ((req, res) => {
      const subject = req.headers['x-subject-token'] as string;
      if (subject.startsWith('good')) json(res, 200, tokenBody(new Date(Date.now() + 3_600_000)));
      else json(res, 404, { error: { code: 404, message: 'Could not find token' } });
    }) as Handler,
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.push({
        method: req.method!,
        subject: req.headers['x-subject-token'] as string | undefined,
        auth: req.headers['x-auth-token'] as string | undefined,
      });
      if (req.method === 'POST') handle.issue(req, res);
      else handle.validate(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v3`,
    calls,
    handle,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function options(url: string, extra: Partial<KeystoneAuthtokenOptions> = {}): KeystoneAuthtokenOptions {
  return plainToInstance(KeystoneAuthtokenOptions, {
    auth_url: url,
    username: 'glint',
    password: 'secret',
    user_domain_name: 'Default',
    project_name: 'service',
    project_domain_name: 'Default',
    http_request_max_retries: 0,
    ...extra,
  });
}

function request(headers: Record<string, string>): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers: lower, id: 'req-1' } as unknown as Request;
}

const isAdmin = (roles: string[]) => roles.includes('admin');

describe('KeystoneAuthenticator against a fake Keystone', () => {
  let ks: FakeKeystone;
  beforeEach(async () => {
    ks = await fakeKeystone();
  });
  afterEach(async () => {
    await ks.close();
  });

  const validations = () => ks.calls.filter((c) => c.method === 'GET');

  it('builds the context from Keystone only, ignoring identity headers from the client', async () => {
    const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
    const req = request({ 'X-Auth-Token': 'good-1', 'X-Roles': 'admin', 'X-Identity-Status': 'Confirmed' });
    const ctx = await auth.authenticate(req);
    expect(ctx.userId).toBe('u1');
    expect(ctx.projectId).toBe('p1');
    expect(ctx.roles).toEqual(['member', 'reader']);
    expect(ctx.isAdmin).toBe(false);
    expect(req.headers['x-roles']).toBeUndefined();
    expect(validations()[0]).toMatchObject({ subject: 'good-1', auth: 'svc-' + serviceTokenSerial });
  });

  it('refuses a missing, malformed or unknown token with 401 and the Keystone challenge', async () => {
    const auth = new KeystoneAuthenticator(
      options(ks.url, { www_authenticate_uri: 'https://keystone.example/v3' }),
      isAdmin,
    );
    for (const headers of [{}, { 'X-Auth-Token': 'has space' }, { 'X-Auth-Token': 'bogus' }] as Array<
      Record<string, string>
    >) {
      const err = await auth.authenticate(request(headers)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnauthenticatedError);
      expect((err as UnauthenticatedError).challenge).toBe('Keystone uri="https://keystone.example/v3"');
    }
    // Only the well-formed token reached Keystone.
    expect(validations().map((c) => c.subject)).toEqual(['bogus']);
  });

  it('caches valid tokens, and invalid ones for invalid_token_cache_time', async () => {
    let now = Date.now();
    const auth = new KeystoneAuthenticator(
      options(ks.url, { token_cache_time: 300, invalid_token_cache_time: 10 }),
      isAdmin,
      new KeystoneClient(options(ks.url)),
      () => now,
    );
    await auth.authenticate(request({ 'X-Auth-Token': 'good-2' }));
    await auth.authenticate(request({ 'X-Auth-Token': 'good-2' }));
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'bad-2' }))).rejects.toThrow(
      UnauthenticatedError,
    );
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'bad-2' }))).rejects.toThrow(
      UnauthenticatedError,
    );
    expect(validations().map((c) => c.subject)).toEqual(['good-2', 'bad-2']);
    now += 11_000;
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'bad-2' }))).rejects.toThrow(
      UnauthenticatedError,
    );
    await auth.authenticate(request({ 'X-Auth-Token': 'good-2' }));
    expect(validations().map((c) => c.subject)).toEqual(['good-2', 'bad-2', 'bad-2']);
    now += 300_000;
    await auth.authenticate(request({ 'X-Auth-Token': 'good-2' }));
    expect(validations().map((c) => c.subject)).toEqual(['good-2', 'bad-2', 'bad-2', 'good-2']);
  });

  it('never uses a cached token past its expiry', async () => {
    let now = Date.now();
    const expiry = new Date(now + 5_000);
    ks.handle.validate = (_req, res) => json(res, 200, tokenBody(expiry));
    const auth = new KeystoneAuthenticator(
      options(ks.url),
      isAdmin,
      new KeystoneClient(options(ks.url)),
      () => now,
    );
    await auth.authenticate(request({ 'X-Auth-Token': 'short' }));
    now += 4_000;
    await auth.authenticate(request({ 'X-Auth-Token': 'short' }));
    expect(validations()).toHaveLength(1);
    now += 2_000;
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'short' }))).rejects.toThrow(
      UnauthenticatedError,
    );
  });

  it('asks Keystone once for concurrent requests with the same token', async () => {
    const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
    await Promise.all(
      Array.from({ length: 5 }, () => auth.authenticate(request({ 'X-Auth-Token': 'good-3' }))),
    );
    expect(validations()).toHaveLength(1);
  });

  it('answers 503, never 401 or 500, when Keystone fails or talks garbage', async () => {
    const cases: Handler[] = [
      (_req, res) => json(res, 500, { error: 'boom' }),
      (_req, res) => json(res, 503, {}),
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>proxy error</html>');
      },
      (_req, res) => json(res, 200, { token: { user: {} } }),
      (_req, res) => json(res, 403, {}),
    ];
    for (const [i, handler] of cases.entries()) {
      ks.handle.validate = handler;
      const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
      const err = await auth.authenticate(request({ 'X-Auth-Token': `good-x${i}` })).catch((e: unknown) => e);
      expect(err, `case ${i}`).toBeInstanceOf(UnavailableError);
    }
  });

  it('answers 503 when Keystone is unreachable, after the configured retries', async () => {
    const opts = options(ks.url, { http_request_max_retries: 2 });
    await ks.close();
    const auth = new KeystoneAuthenticator(opts, isAdmin, new KeystoneClient(opts, fetch, 10));
    const err = await auth.authenticate(request({ 'X-Auth-Token': 'good-4' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe('The Keystone service is temporarily unavailable.');
    ks = await fakeKeystone();
  });

  it('answers 503 when Keystone refuses the service credentials', async () => {
    ks.handle.issue = (_req, res) => json(res, 401, { error: { code: 401 } });
    const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'good-5' }))).rejects.toThrow(UnavailableError);
  });

  it('renews its service token before it expires', async () => {
    // A 10-minute token is renewed 2 minutes before its end; this one lives 200 ms, renewed at half-life.
    ks.handle.issue = issueFor(200);
    const auth = new KeystoneAuthenticator(options(ks.url, { token_cache_time: -1 }), isAdmin);
    await auth.authenticate(request({ 'X-Auth-Token': 'good-6' }));
    await auth.authenticate(request({ 'X-Auth-Token': 'good-6' }));
    expect(ks.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 120));
    await auth.authenticate(request({ 'X-Auth-Token': 'good-6' }));
    expect(ks.calls.filter((c) => c.method === 'POST')).toHaveLength(2);
    const [first, , third] = validations();
    expect(first.auth).not.toBe(third.auth);
  });

  it('gets a new service token when Keystone stops accepting the old one', async () => {
    let accepted = '';
    ks.handle.issue = (req, res) => {
      issueFor(3_600_000)(req, res);
      accepted = `svc-${serviceTokenSerial}`;
    };
    ks.handle.validate = (req, res) => {
      if (req.headers['x-auth-token'] !== accepted) json(res, 401, {});
      else json(res, 200, tokenBody(new Date(Date.now() + 3_600_000)));
    };
    const auth = new KeystoneAuthenticator(options(ks.url, { token_cache_time: -1 }), isAdmin);
    await auth.authenticate(request({ 'X-Auth-Token': 'good-7' }));
    accepted = 'revoked';
    await expect(auth.authenticate(request({ 'X-Auth-Token': 'good-7' }))).resolves.toBeDefined();
    expect(ks.calls.filter((c) => c.method === 'POST')).toHaveLength(2);
  });

  it('takes service roles from X-Service-Token, and refuses an invalid one', async () => {
    ks.handle.validate = (req, res) => {
      const subject = req.headers['x-subject-token'] as string;
      if (subject === 'svc-user') json(res, 200, tokenBody(new Date(Date.now() + 60_000), ['Service']));
      else if (subject.startsWith('good')) json(res, 200, tokenBody(new Date(Date.now() + 60_000)));
      else json(res, 404, {});
    };
    const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
    const ctx = await auth.authenticate(request({ 'X-Auth-Token': 'good-8', 'X-Service-Token': 'svc-user' }));
    expect(ctx.serviceRoles).toEqual(['service']);
    await expect(
      auth.authenticate(request({ 'X-Auth-Token': 'good-8', 'X-Service-Token': 'nope' })),
    ).rejects.toThrow(UnauthenticatedError);

    const strict = new KeystoneAuthenticator(
      options(ks.url, { service_token_roles_required: true }),
      isAdmin,
    );
    await expect(
      strict.authenticate(request({ 'X-Auth-Token': 'good-8', 'X-Service-Token': 'good-other' })),
    ).rejects.toThrow(UnauthenticatedError);
  });

  it('marks system- and domain-scoped tokens, and never makes them admins', async () => {
    ks.handle.validate = (req, res) => {
      const body = tokenBody(new Date(Date.now() + 60_000), ['admin', 'member', 'reader']);
      const token = body.token as Record<string, unknown>;
      delete token.project;
      if (req.headers['x-subject-token'] === 'good-system') token.system = { all: true };
      else token.domain = { id: 'd1', name: 'D' };
      json(res, 200, body);
    };
    const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
    const system = await auth.authenticate(request({ 'X-Auth-Token': 'good-system' }));
    expect(system.extra.systemScope).toBe('all');
    expect(system.isAdmin).toBe(false);
    const domain = await auth.authenticate(request({ 'X-Auth-Token': 'good-domain' }));
    expect(domain.extra.domainId).toBe('d1');
    expect(domain.projectId).toBeNull();
    expect(domain.isAdmin).toBe(false);
  });

  it('logs neither the service password nor any token', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map((a) => JSON.stringify(a)).join(' '));
    const spies = (['log', 'error', 'warn', 'debug', 'verbose'] as const).map((m) =>
      vi.spyOn(Logger.prototype, m).mockImplementation(capture),
    );
    try {
      const auth = new KeystoneAuthenticator(options(ks.url), isAdmin);
      await auth.authenticate(request({ 'X-Auth-Token': 'good-secret-token' }));
      await auth.authenticate(request({ 'X-Auth-Token': 'bad-secret-token' })).catch(() => undefined);
      ks.handle.validate = (_req, res) => json(res, 500, {});
      await auth.authenticate(request({ 'X-Auth-Token': 'good-other-secret' })).catch(() => undefined);
      ks.handle.issue = (_req, res) => json(res, 401, {});
      const refused = new KeystoneAuthenticator(options(ks.url), isAdmin);
      await refused.authenticate(request({ 'X-Auth-Token': 'good-third-secret' })).catch(() => undefined);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/secret|svc-\d/);
  });
});
