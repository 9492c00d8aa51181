import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { stringify } from 'yaml';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PolicyProbeModule } from '../support/policy-probe.js';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An identity provider on loopback: discovery document and JWKS, with keys the test rotates. */
class FakeIssuer {
  published: SigningKey[] = [];
  jwksFetches = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/jwks` }));
      } else if (req.url === '/jwks') {
        this.jwksFetches++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const AUDIENCE = 'glint';

describe('GLINT_AUTH=oidc (bearer JWTs against a JWKS on loopback)', () => {
  const issuer = new FakeIssuer();
  let first: SigningKey;
  let t: TestApp;
  let configDir: string;

  function config(oidc: Record<string, unknown>): string {
    const file = join(configDir, `glint-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      stringify({ oidc: { issuer: issuer.url, audience: AUDIENCE, jwks_cooldown: 0, ...oidc } }),
    );
    return file;
  }

  function jwt(
    claims: JWTPayload,
    options: { key?: SigningKey; exp?: string | number; iss?: string; aud?: string } = {},
  ): Promise<string> {
    const key = options.key ?? first;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.jwk.alg!, kid: key.kid })
      .setIssuer(options.iss ?? issuer.url)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject(claims.sub ?? 'user-1')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(key.privateKey);
  }

  const member = () => jwt({ project_id: 'p1', roles: ['member'], preferred_username: 'alice' });

  beforeAll(async () => {
    await issuer.start();
    first = await signingKey('key-1');
    issuer.published = [first];
    configDir = mkdtempSync(join(tmpdir(), 'glint-oidc-'));
    // No jwks_uri: it comes from the issuer's discovery document.
    t = await startTestApp({ GLINT_AUTH: 'oidc' }, config({}), { extraModules: [PolicyProbeModule] });
  });

  afterAll(async () => {
    await t?.close();
    await issuer.stop();
  });

  it('maps a valid token to user, project and roles (implied roles added)', async () => {
    const token = await member();
    await t.http.get('/v2/info/import').set('Authorization', `Bearer ${token}`).expect(200);
    const who = await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${token}`).expect(200);
    expect(who.body).toMatchObject({
      userId: 'user-1',
      projectId: 'p1',
      roles: ['member', 'reader'],
      isAdmin: false,
    });
    // OpenStack clients given a token send it as X-Auth-Token.
    await t.http.post('/v2/_test/policy/add_image').set('X-Auth-Token', token).expect(200);
  });

  it('refuses a reader a create (403) and lets an admin through', async () => {
    const reader = await jwt({ project_id: 'p1', roles: 'reader' });
    await t.http.post('/v2/_test/policy/add_image').set('Authorization', `Bearer ${reader}`).expect(403);
    await t.http.post('/v2/_test/policy/get_images').set('Authorization', `Bearer ${reader}`).expect(200);
    const admin = await jwt({ project_id: 'p1', roles: ['admin'] });
    const who = await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(who.body).toMatchObject({ isAdmin: true, roles: ['admin', 'member', 'reader'] });
  });

  it('ignores identity headers sent by the client', async () => {
    const reader = await jwt({ project_id: 'p1', roles: ['reader'] });
    const who = await t.http
      .get('/v2/_test/whoami')
      .set('Authorization', `Bearer ${reader}`)
      .set('X-Roles', 'admin')
      .set('X-Project-Id', 'p2')
      .expect(200);
    expect(who.body).toMatchObject({ projectId: 'p1', roles: ['reader'] });
    await t.http
      .get('/v2/info/import')
      .set('X-Identity-Status', 'Confirmed')
      .set('X-Roles', 'admin')
      .expect(401);
  });

  it('answers 401 with a Bearer challenge for missing, malformed, expired, foreign or forged tokens', async () => {
    const stranger = await signingKey('key-unknown');
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: issuer.url, aud: AUDIENCE, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url')}.`;
    const cases: Record<string, string | null> = {
      missing: null,
      garbage: 'not-a-jwt',
      'alg none': noneAlg,
      expired: await jwt(
        { project_id: 'p1', roles: ['member'] },
        { exp: Math.floor(Date.now() / 1000) - 3600 },
      ),
      'wrong audience': await jwt({ project_id: 'p1', roles: ['member'] }, { aud: 'someone-else' }),
      'wrong issuer': await jwt({ project_id: 'p1', roles: ['member'] }, { iss: 'https://evil.example' }),
      'unknown key': await jwt({ project_id: 'p1', roles: ['member'] }, { key: stranger }),
      'tampered payload': (await member()).replace(/\.([^.]+)\./, (_, p: string) => {
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
        return `.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.`;
      }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const req = t.http.post('/v2/_test/policy/default').set('Accept', 'application/json');
      if (token) req.set('Authorization', `Bearer ${token}`);
      const res = await req;
      expect(res.status, name).toBe(401);
      expect(res.headers['www-authenticate'], name).toMatch(/^Bearer realm="glint"/);
    }
  });

  it('follows a key rotation: a token signed by a newly published key is accepted', async () => {
    const second = await signingKey('key-2', 'ES256');
    issuer.published = [second];
    const token = await jwt({ project_id: 'p1', roles: ['member'] }, { key: second });
    await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${token}`).expect(200);
    // The old key is gone from the cached set: its tokens are refused until the issuer publishes it again.
    const old = await member();
    await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${old}`).expect(401);
    issuer.published = [first, second];
    await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${old}`).expect(200);
  });

  it('maps configurable claim names, dotted paths included', async () => {
    const custom = await startTestApp(
      { GLINT_AUTH: 'oidc' },
      config({
        jwks_uri: `${issuer.url}/jwks`,
        project_claim: 'tenant',
        roles_claim: 'realm_access.roles',
        user_claim: 'uid',
      }),
      { extraModules: [PolicyProbeModule] },
    );
    try {
      const token = await jwt({ tenant: 'p9', uid: 'u9', realm_access: { roles: ['Member'] } });
      const who = await custom.http
        .get('/v2/_test/whoami')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(who.body).toMatchObject({ userId: 'u9', projectId: 'p9', roles: ['member', 'reader'] });
    } finally {
      await custom.close();
    }
  });

  it('answers 503 when the issuer cannot be reached for keys it does not have yet', async () => {
    const unreachable = await startTestApp(
      { GLINT_AUTH: 'oidc' },
      config({ issuer: 'http://127.0.0.1:1', http_timeout: 2 }),
      { extraModules: [PolicyProbeModule] },
    );
    try {
      const token = await jwt({ project_id: 'p1', roles: ['member'] }, { iss: 'http://127.0.0.1:1' });
      const res = await unreachable.http
        .get('/v2/_test/whoami')
        .set('Authorization', `Bearer ${token}`)
        .set('Accept', 'application/json');
      expect(res.status).toBe(503);
      expect(res.body.message).toContain('The identity provider is temporarily unavailable.');
    } finally {
      await unreachable.close();
    }
  });

  // Last: it stops the issuer.
  it('keeps verifying with cached keys while the issuer is down; unknown keys get 503', async () => {
    const known = await member();
    await issuer.stop();
    await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${known}`).expect(200);
    const rotated = await signingKey('key-3');
    const token = await jwt({ project_id: 'p1', roles: ['member'] }, { key: rotated });
    await t.http.get('/v2/_test/whoami').set('Authorization', `Bearer ${token}`).expect(503);
  });
});
