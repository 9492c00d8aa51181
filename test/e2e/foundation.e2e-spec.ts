import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';

describe('foundation (noauth)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers / with 300 and the versions document', async () => {
    const res = await t.http.get('/').expect(300);
    const ids = res.body.versions.map((v: { id: string }) => v.id);
    expect(ids[0]).toBe('v2.15');
    expect(res.body.versions[0].status).toBe('CURRENT');
    expect(res.body.versions.slice(1).every((v: { status: string }) => v.status === 'SUPPORTED')).toBe(true);
    expect(ids).toContain('v2.0');
    expect(res.body.versions[0].links[0].href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/$/);
  });

  it('answers /versions with 200 and paths under no version with 300', async () => {
    await t.http.get('/versions').expect(200);
    await t.http.get('/v1/images').expect(300);
    await t.http.get('/v3').expect(300);
  });

  it('serves the health check and readiness', async () => {
    const res = await t.http.get('/healthcheck').expect(200);
    expect(res.text).toBe('OK');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    await t.http.get('/health/ready').expect(200, { status: 'ready' });
    await t.http.get('/health/live').expect(200);
  });

  it('serves Swagger UI from the package and the OpenAPI document', async () => {
    const page = await t.http.get('/api-docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
    expect(page.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    await t.http.get('/api-docs/swagger-ui-bundle.js').expect(200);
    const doc = await t.http.get('/api-docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(doc.body.paths['/versions']).toBeDefined();
  });

  it('sends a request id on every response and keeps a valid one from the client', async () => {
    const generated = await t.http.get('/v2/nothing-here');
    expect(generated.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    const kept = await t.http.get('/versions').set('X-Openstack-Request-Id', 'req-abc-123');
    expect(kept.headers['x-openstack-request-id']).toBe('req-abc-123');
    const prefixed = await t.http.get('/versions').set('X-Openstack-Request-Id', 'abc');
    expect(prefixed.headers['x-openstack-request-id']).toBe('req-abc');
    const tooLong = await t.http.get('/versions').set('X-Openstack-Request-Id', 'x'.repeat(100));
    expect(tooLong.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    // Glance measures max_request_id_length (64) before adding the prefix: this one is kept.
    const longest = await t.http.get('/versions').set('X-Openstack-Request-Id', 'b'.repeat(64));
    expect(longest.headers['x-openstack-request-id']).toBe(`req-${'b'.repeat(64)}`);
    const over = await t.http.get('/versions').set('X-Openstack-Request-Id', 'b'.repeat(65));
    expect(over.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  describe('errors in Glance format', () => {
    it('is plain text by default', async () => {
      const res = await t.http.get('/v2/nothing-here').set('Accept', '').expect(404);
      expect(res.headers['content-type']).toBe('text/plain; charset=UTF-8');
      expect(res.text).toBe('404 Not Found\n\nThe resource could not be found.\n\n   ');
    });

    it('is JSON when Accept asks for it', async () => {
      const res = await t.http.get('/v2/nothing-here').set('Accept', 'application/json').expect(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.text)).toEqual({
        message: 'The resource could not be found.<br /><br />\n\n\n',
        code: '404 Not Found',
        title: 'Not Found',
      });
    });

    it('is HTML for browsers', async () => {
      const res = await t.http.get('/v2/nothing-here').set('Accept', 'text/html,*/*').expect(404);
      expect(res.text).toContain('<h1>404 Not Found</h1>');
    });

    it('answers a known path with an unsupported method with 405 and Allow', async () => {
      const res = await t.http.delete('/versions').set('Accept', 'application/json').expect(405);
      expect(res.headers.allow).toBe('GET');
      expect(res.body.message).toBe('The method DELETE is not allowed for this resource. <br /><br />\n');
    });

    it('refuses malformed JSON and scalar bodies', async () => {
      const bad = await t.http
        .post('/v2/nothing-here')
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json')
        .send('{bad');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe('Malformed JSON in request body.<br /><br />\n\n\n');
      const scalar = await t.http
        .post('/v2/nothing-here')
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json')
        .send('"x"');
      expect(scalar.status).toBe(400);
      expect(scalar.body.message).toContain('Unexpected body type. Expected list/dict.');
    });

    it('refuses an oversized body with 413', async () => {
      const res = await t.http
        .post('/v2/nothing-here')
        .set('Content-Type', 'application/json')
        .set('Accept', 'application/json')
        .send(JSON.stringify({ x: 'y'.repeat(t.config.maxBodyBytes + 10) }));
      expect(res.status).toBe(413);
      // WebOb's HTTPRequestEntityTooLarge without a detail, as Glance renders its 413s.
      expect(res.text).toBe(
        '{"message": "The request is larger than the server is willing or able to process.<br /><br />\\n\\n\\n", ' +
          '"code": "413 Request Entity Too Large", "title": "Request Entity Too Large"}',
      );
      expect(res.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
    });
  });
});

describe('foundation (trusted identity)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an unconfirmed identity with 401 in Glance format', async () => {
    const res = await t.http.get('/v2/info/import').set('Accept', 'application/json').expect(401);
    expect(res.body.code).toBe('401 Unauthorized');
    await t.http.get('/v2/info/import').set('X-Identity-Status', 'Invalid').expect(401);
    expect(res.headers['x-openstack-request-id']).toMatch(/^req-/);
  });

  it('serves a confirmed identity', async () => {
    const res = await t.http
      .get('/v2/info/import')
      .set({ 'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'p1', 'X-Roles': 'reader' })
      .expect(200);
    expect(res.body['import-methods'].value).toEqual(['glance-direct', 'web-download', 'copy-image']);
  });

  it('leaves version discovery and health open', async () => {
    await t.http.get('/').expect(300);
    await t.http.get('/healthcheck').expect(200);
  });

  it('answers OPTIONS as Glance behind its CORS filter: an empty 200 anywhere, without identity', async () => {
    // Glance 25 answered each of these with 200, no body and no Content-Type.
    for (const path of ['/', '/v2', '/v2/images', '/v2/images/x/file', '/v2/bogus', '/v2/info/import']) {
      const res = await t.http.options(path).expect(200);
      expect(res.text ?? '').toBe('');
      expect(res.headers['content-type']).toBeUndefined();
    }
    // Handlers that take every method answer it themselves.
    expect((await t.http.options('/versions').expect(200)).body.versions[0].status).toBe('CURRENT');
    expect((await t.http.options('/healthcheck').expect(200)).text).toBe('OK');
  });
});

describe('CORS with cors.allowed_origin', () => {
  let t: TestApp;
  const origin = 'https://dash.example';
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'glint-cors-')), 'glint.yaml');
    writeFileSync(file, `cors:\n  allowed_origin: [${origin}]\n`);
    t = await startTestApp({ GLINT_AUTH: 'trusted' }, file);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The CORS headers of a response; what oslo.middleware's filter, set up as Glance sets it, sent. */
  const corsHeaders = (headers: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'),
    );

  it('marks answers to an allowed origin, errors included, and nothing for others', async () => {
    const exposed = {
      'access-control-allow-credentials': 'true',
      'access-control-allow-origin': origin,
      'access-control-expose-headers':
        'X-Image-Meta-Checksum,X-Auth-Token,X-Subject-Token,X-Service-Token,X-OpenStack-Request-ID',
      vary: 'Origin',
    };
    expect(corsHeaders((await t.http.get('/versions').set('Origin', origin).expect(200)).headers)).toEqual(
      exposed,
    );
    // A refused identity still carries them, so the browser lets the page read the 401.
    expect(corsHeaders((await t.http.get('/v2/images').set('Origin', origin).expect(401)).headers)).toEqual(
      exposed,
    );
    expect(
      corsHeaders((await t.http.get('/versions').set('Origin', 'https://evil.example').expect(200)).headers),
    ).toEqual({});
  });

  it('answers a preflight for an allowed method and headers, and only then', async () => {
    const preflight = (method: string, headers?: string) => {
      const req = t.http
        .options('/v2/images')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', method);
      return (headers ? req.set('Access-Control-Request-Headers', headers) : req).expect(200);
    };
    expect(corsHeaders((await preflight('PATCH', 'X-Auth-Token, content-type')).headers)).toEqual({
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'X-Auth-Token,content-type',
      'access-control-allow-methods': 'PATCH',
      'access-control-allow-origin': origin,
      'access-control-max-age': '3600',
      vary: 'Origin',
    });
    expect(corsHeaders((await preflight('HEAD')).headers)).toEqual({});
    expect(corsHeaders((await preflight('GET', 'X-Bogus')).headers)).toEqual({});
    const bare = await t.http.options('/v2/images').set('Origin', origin).expect(200);
    expect(corsHeaders(bare.headers)).toEqual({});
  });
});

describe("request heads as Glance's server reads them", () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glint-limits-'));
    writeFileSync(join(dir, 'glint.yaml'), 'max_header_line: 2048\n');
    t = await startTestApp({}, join(dir, 'glint.yaml'));
    const server = t.app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Sends a request head of exactly these lines; resolves with the whole answer. */
  function send(requestLine: string, headerLines: string[]): Promise<string> {
    return new Promise((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer));
      socket.write(
        `${requestLine}\r\n${headerLines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`,
      );
    });
  }

  /** A header line of exactly `bytes` bytes, its CRLF included. */
  const line = (name: string, bytes: number) => `${name}: ${'a'.repeat(bytes - name.length - 4)}`;

  it('serves an HTTP/1.1 request without Host, and reads repeated slashes as one', async () => {
    expect(await send('GET /v2/images HTTP/1.1', [])).toMatch(/^HTTP\/1\.1 200 /);
    for (const path of ['//v2/images', '/v2//images', '///v2/schemas/image', '//versions'])
      expect(await send(`GET ${path} HTTP/1.1`, ['Host: x']), path).toMatch(/^HTTP\/1\.1 200 /);
    const list = await send('GET //v2/images?limit=1 HTTP/1.1', ['Host: x']);
    expect(list).toContain('"first":"/v2/images?limit=1"');
  });

  it('refuses a request line of 8192 bytes or more with 414, as eventlet does', async () => {
    const target = (bytes: number) =>
      `GET /v2/images?name=${'a'.repeat(bytes - 'GET /v2/images?name= HTTP/1.1\r\n'.length)} HTTP/1.1`;
    expect(await send(target(8191), ['Host: x'])).toMatch(/^HTTP\/1\.1 200 /);
    const refused = await send(target(8192), ['Host: x']);
    expect(refused).toMatch(/^HTTP\/1\.1 414 Request URI Too Long\r\n/);
    expect(refused).toMatch(/\r\nContent-Length: 0\r\n/i);
  });

  it('refuses a header line of max_header_line bytes or more with 400 Header Line Too Long', async () => {
    expect(await send('GET /v2/images HTTP/1.1', ['Host: x', line('X-Token', 2047)])).toMatch(
      /^HTTP\/1\.1 200 /,
    );
    expect(await send('GET /v2/images HTTP/1.1', ['Host: x', line('X-Token', 2048)])).toMatch(
      /^HTTP\/1\.1 400 Header Line Too Long\r\n/,
    );
  });

  it('takes headers up to 64 KiB in all (Node alone stops at 16 KiB), and refuses more with 400', async () => {
    const head = 'GET /v2/images HTTP/1.1';
    const fixed = ['Host: x', 'Connection: close'];
    // The section: every line with its CRLF, and the blank line that ends it.
    const filler = (total: number) => {
      const lines = [...fixed];
      let used = fixed.reduce((n, l) => n + l.length + 2, 0) + 2;
      for (let i = 0; total - used > 2000; i++) {
        lines.push(line(`X-Filler-${String(i).padStart(3, '0')}`, 2000));
        used += 2000;
      }
      lines.push(line('X-Last', total - used));
      return lines.filter((l) => l !== 'Connection: close');
    };
    expect(await send(head, filler(65536))).toMatch(/^HTTP\/1\.1 200 /);
    expect(await send(head, filler(65537))).toMatch(/^HTTP\/1\.1 400 Headers Too Large\r\n/);
    expect(await send(head, filler(200_000))).toMatch(/^HTTP\/1\.1 400 Headers Too Large\r\n/);
  });
});
