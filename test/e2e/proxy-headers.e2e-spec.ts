import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as } from '../support/images.js';

/**
 * The URLs Glint writes behind a reverse proxy. Each expectation is what Glance 25 answered to the
 * same headers: the peer as it runs ([oslo_middleware] enable_proxy_headers_parsing = false), and
 * a second peer started with parsing on, then with public_endpoint set.
 */

const UUID = '[0-9a-f-]{36}';
const owner = as('p1');

async function locationOf(t: TestApp, headers: Record<string, string>): Promise<string> {
  const res = await t.http.post('/v2/images').set(owner).set(headers).send({ name: 'p' }).expect(201);
  expect(res.headers.location).toBe(`${res.headers.location.split('/v2/')[0]}/v2/images/${res.body.id}`);
  return res.headers.location.replace(res.body.id as string, '<id>');
}

async function versionHref(t: TestApp, path: string, headers: Record<string, string>): Promise<string> {
  const res = await t.http.get(path).set(headers);
  expect([200, 300]).toContain(res.status);
  const hrefs = new Set(
    (res.body.versions as Array<{ links: Array<{ href: string }> }>).flatMap((v) =>
      v.links.map((l) => l.href),
    ),
  );
  expect(hrefs.size).toBe(1);
  return [...hrefs][0];
}

describe('proxy headers', () => {
  describe('parsing off (Glance default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ GLINT_AUTH: 'trusted' });
    });
    afterAll(() => t?.close());

    it('ignores X-Forwarded-* and Forwarded, and takes the Host header, default port dropped', async () => {
      const forwarded = {
        Host: 'glint.internal:9292',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'img.example.com',
        Forwarded: 'proto=https;host=fw.example.org',
      };
      expect(await locationOf(t, forwarded)).toBe('http://glint.internal:9292/v2/images/<id>');
      expect(await versionHref(t, '/versions', forwarded)).toBe('http://glint.internal:9292/v2/');
      expect(await locationOf(t, { Host: 'h.example:80' })).toBe('http://h.example/v2/images/<id>');
      expect(await versionHref(t, '/', { Host: 'h.example:80' })).toBe('http://h.example/v2/');
    });
  });

  describe('parsing on (GLINT_ENABLE_PROXY_HEADERS_PARSING)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_ENABLE_PROXY_HEADERS_PARSING: 'true' });
    });
    afterAll(() => t?.close());

    it.each([
      [
        'X-Forwarded-Proto and -Host',
        { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'img.example.com:8443' },
        'https://img.example.com:8443/v2/images/<id>',
      ],
      [
        'the default https port',
        { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'img.example.com:443' },
        'https://img.example.com/v2/images/<id>',
      ],
      [
        'RFC 7239 Forwarded',
        { Forwarded: 'for=1.2.3.4;proto=https;host=fw.example.org, for=10.0.0.1;proto=http' },
        'https://fw.example.org/v2/images/<id>',
      ],
      [
        'X-Forwarded-Proto alone, with the Host header',
        { Host: 'glint.internal:9292', 'X-Forwarded-Proto': 'https' },
        'https://glint.internal:9292/v2/images/<id>',
      ],
      [
        'X-Forwarded-Host, whose prefix a Location does not carry',
        { 'X-Forwarded-Host': 'h.example', 'X-Forwarded-Prefix': '/image' },
        'http://h.example/v2/images/<id>',
      ],
      [
        'a Forwarded header without host, which hides the X-Forwarded ones',
        { Host: 'glint.internal:9292', Forwarded: 'for=1.2.3.4', 'X-Forwarded-Host': 'xx.example' },
        'http://glint.internal:9292/v2/images/<id>',
      ],
    ])('a Location from %s', async (_what, headers, expected) => {
      expect(await locationOf(t, headers)).toBe(expected);
    });

    it('version documents carry the proxy scheme, host and prefix', async () => {
      const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'img.example.com:8443' };
      expect(await versionHref(t, '/', headers)).toBe('https://img.example.com:8443/v2/');
      expect(await versionHref(t, '/versions', { ...headers, 'X-Forwarded-Prefix': '/image' })).toBe(
        'https://img.example.com:8443/image/v2/',
      );
      // The 300 of an unknown version path is the same document.
      expect(await versionHref(t, '/v9/images', headers)).toBe('https://img.example.com:8443/v2/');
    });

    it('leaves the relative links relative', async () => {
      await t.http.post('/v2/images').set(owner).send({ name: 'a' }).expect(201);
      await t.http.post('/v2/images').set(owner).send({ name: 'b' }).expect(201);
      const res = await t.http
        .get('/v2/images?limit=1')
        .set(owner)
        .set({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'img.example.com' })
        .expect(200);
      expect(res.body.first).toBe('/v2/images?limit=1');
      expect(res.body.next).toMatch(new RegExp(`^/v2/images\\?limit=1&marker=${UUID}$`));
      expect(res.body.images[0].self).toMatch(new RegExp(`^/v2/images/${UUID}$`));
      expect(res.body.images[0].file).toMatch(new RegExp(`^/v2/images/${UUID}/file$`));
    });
  });

  describe('public_endpoint (GLINT_CONFIG) with parsing on', () => {
    let t: TestApp;
    beforeAll(async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'glint-proxy-')), 'glint.yaml');
      writeFileSync(
        file,
        'public_endpoint: https://pub.example.net/image/\noslo_middleware:\n  enable_proxy_headers_parsing: true\n',
      );
      t = await startTestApp({ GLINT_AUTH: 'trusted' }, file);
    });
    afterAll(() => t?.close());

    it('replaces the base of the version documents, not of Location', async () => {
      const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'img.example.com:443' };
      expect(await versionHref(t, '/', headers)).toBe('https://pub.example.net/image/v2/');
      expect(await versionHref(t, '/versions', {})).toBe('https://pub.example.net/image/v2/');
      expect(await locationOf(t, headers)).toBe('https://img.example.com/v2/images/<id>');
    });
  });

  it('GLINT_PUBLIC_ENDPOINT overrides the file, and a value that is not a URL stops the start', async () => {
    const t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_PUBLIC_ENDPOINT: 'http://env.example:9000' });
    try {
      expect(t.config.glance.public_endpoint).toBe('http://env.example:9000');
      expect(await versionHref(t, '/versions', {})).toBe('http://env.example:9000/v2/');
    } finally {
      await t.close();
    }
    await expect(startTestApp({ GLINT_PUBLIC_ENDPOINT: 'pub.example.net' })).rejects.toThrow(
      /public_endpoint/,
    );
    await expect(startTestApp({ GLINT_ENABLE_PROXY_HEADERS_PARSING: 'maybe' })).rejects.toThrow(
      /GLINT_ENABLE_PROXY_HEADERS_PARSING/,
    );
  });
});
