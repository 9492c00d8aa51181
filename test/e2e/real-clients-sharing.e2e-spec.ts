import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as } from '../support/images.js';

/**
 * Sharing through the real python-glanceclient (Debian's 4.1): member-create by the owner,
 * member-update by the member project, image-list --member-status. glanceclient can only send a
 * token, so Glint runs in trusted mode behind a small loopback proxy that turns a token
 * `user:project:roles` into the identity headers, as a keystonemiddleware-style gateway would
 * (and as the Glance peer's peer_auth.py does).
 */

const GLANCE_BIN = '/usr/bin/glance';
const available = existsSync(GLANCE_BIN);
if (!available) {
  const why = `${GLANCE_BIN} is missing (Debian package python3-glanceclient)`;
  // A CI run must not pass by skipping what it is there to check.
  if (process.env.CI) throw new Error(`real-client sharing test: ${why}`);
  console.warn(`SKIPPING real-client sharing test: ${why}`);
}

const IDENTITY_HEADERS = [
  'x-identity-status',
  'x-project-id',
  'x-tenant-id',
  'x-tenant',
  'x-user-id',
  'x-user',
  'x-roles',
  'x-role',
  'x-service-roles',
  'x-service-identity-status',
];

/** Forwards to `target`, replacing any client identity headers with those its token names. */
function tokenProxy(target: number): Server {
  return createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: `127.0.0.1:${target}` };
    for (const name of IDENTITY_HEADERS) delete headers[name];
    const token = decodeURIComponent(String(req.headers['x-auth-token'] ?? ''));
    const [user, project, roles] = token.split(':');
    if (roles !== undefined) {
      Object.assign(headers, {
        'x-identity-status': 'Confirmed',
        'x-user-id': user,
        'x-project-id': project,
        'x-roles': roles,
      });
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `glance --os-image-url URL --os-auth-token T ARGS…`, with a fresh HOME and no stdin. */
function glance(url: string, token: string, args: string[]): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'glint-glanceclient-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LC_ALL: 'C.UTF-8' };
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(GLANCE_BIN, ['--os-image-url', url, '--os-auth-token', token, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  }).finally(() => rmSync(home, { recursive: true, force: true }));
}

/** The rows of a glanceclient table, as arrays of trimmed cells (header row included). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

// Each glanceclient run costs a few seconds of Python start-up (far more on a busy machine).
describe.skipIf(!available)('sharing through python-glanceclient', { timeout: 180_000 }, () => {
  let t: TestApp;
  let proxy: Server;
  let url: string;
  let imageId: string;
  const OWNER = 'alice:p-cli-owner:member,reader';
  const MEMBER = 'bob:p-cli-member:member,reader';
  const OTHER = 'eve:p-cli-other:member,reader';

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    await t.app.listen(0, '127.0.0.1');
    const glint = (t.app.getHttpServer().address() as AddressInfo).port;
    proxy = tokenProxy(glint);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const created = await t.http
      .post('/v2/images')
      .set(as('p-cli-owner'))
      .send({ name: 'cli-shared' })
      .expect(201);
    imageId = created.body.id;
  });
  afterAll(async () => {
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    await t?.close();
  });

  async function listedIds(token: string, extra: string[] = []): Promise<string[]> {
    const run = await glance(url, token, ['image-list', ...extra]);
    expect(run.code, run.stderr).toBe(0);
    return tableRows(run.stdout)
      .slice(1)
      .map((row) => row[0]);
  }

  it('member-create by the owner shares the image as pending', async () => {
    const run = await glance(url, OWNER, ['member-create', imageId, 'p-cli-member']);
    expect(run.code, run.stderr).toBe(0);
    expect(tableRows(run.stdout)).toEqual([
      ['Image ID', 'Member ID', 'Status'],
      [imageId, 'p-cli-member', 'pending'],
    ]);
  });

  it('lists the pending image for the member only with --member-status pending', async () => {
    expect(await listedIds(MEMBER)).not.toContain(imageId);
    expect(await listedIds(MEMBER, ['--member-status', 'pending'])).toContain(imageId);
  });

  it('refuses member-update by the owner (403) and by a stranger (404)', async () => {
    const owner = await glance(url, OWNER, ['member-update', imageId, 'p-cli-member', 'accepted']);
    expect(owner.code).not.toBe(0);
    expect(owner.stderr).toContain('403 Forbidden: You are not authorized to complete modify_member action.');
    const other = await glance(url, OTHER, ['member-update', imageId, 'p-cli-member', 'accepted']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('404');
    expect(other.stderr).not.toContain('p-cli-member');
  });

  it('member-update by the member accepts, and the image joins its default list', async () => {
    const run = await glance(url, MEMBER, ['member-update', imageId, 'p-cli-member', 'accepted']);
    expect(run.code, run.stderr).toBe(0);
    expect(tableRows(run.stdout)[1]).toEqual([imageId, 'p-cli-member', 'accepted']);
    expect(await listedIds(MEMBER)).toContain(imageId);
    expect(await listedIds(MEMBER, ['--member-status', 'pending'])).not.toContain(imageId);
    const members = await glance(url, OWNER, ['member-list', '--image-id', imageId]);
    expect(tableRows(members.stdout).slice(1)).toEqual([[imageId, 'p-cli-member', 'accepted']]);
  });

  it('member-delete by the owner ends the share', async () => {
    const run = await glance(url, OWNER, ['member-delete', imageId, 'p-cli-member']);
    expect(run.code, run.stderr).toBe(0);
    expect(await listedIds(MEMBER, ['--member-status', 'all'])).not.toContain(imageId);
    const show = await glance(url, MEMBER, ['image-show', imageId]);
    expect(show.code).not.toBe(0);
  });
});
