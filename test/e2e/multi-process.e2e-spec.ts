import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { INTERRUPTED_MESSAGE } from '../../src/tasks/executor/task-executor.js';
import { createTestDatabase } from '../support/test-app.js';
import { as } from '../support/images.js';
import { files } from '../support/files.js';

/**
 * Glint as real processes (node dist/src/main.js) on one PostgreSQL database: what a deployment
 * of several nodes, or a node that crashes, does. PostgreSQL only: the embedded database belongs
 * to one process.
 */
const onPostgres = Boolean(process.env.DATABASE_URL);
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'dist/src/main.js');
const USER = as('p1');
const ADMIN = as('p1', 'admin,member,reader');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file under dir, hidden temp files included. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
}

// Response documents, read loosely: the assertions say what they must hold.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface GlintProcess {
  child: ChildProcess;
  base: string;
  /** What it printed, for the failure message when it does not start. */
  output: string[];
}

async function startGlint(env: Record<string, string>): Promise<GlintProcess> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      GLINT_AUTH: 'trusted',
      GLINT_LOG_LEVEL: 'warn',
      GLINT_TASK_POLL_SECONDS: '0.5',
      GLINT_TASK_SUPERVISE_SECONDS: '1',
      GLINT_TASK_HEARTBEAT_SECONDS: '10',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 90_000;
  while (!output.join('').includes('Glint listening')) {
    if (child.exitCode !== null || Date.now() > until)
      throw new Error(`Glint did not start (exit ${child.exitCode}):\n${output.join('')}`);
    await sleep(100);
  }
  return { child, base, output };
}

async function stopGlint(p: GlintProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  await exited;
}

async function call(
  p: GlintProcess,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: Json; buffer: Buffer }> {
  const raw = Buffer.isBuffer(body);
  const res = await fetch(`${p.base}${path}`, {
    method,
    headers: {
      ...headers,
      ...(body === undefined
        ? {}
        : { 'Content-Type': raw ? 'application/octet-stream' : 'application/json' }),
    },
    body: body === undefined ? undefined : raw ? new Uint8Array(body) : JSON.stringify(body),
  });
  const buffer = Buffer.from(await res.arrayBuffer());
  let json: Json = null;
  try {
    json = JSON.parse(buffer.toString());
  } catch {
    // not JSON (image data, empty bodies)
  }
  return { status: res.status, json, buffer };
}

async function finishedTask(p: GlintProcess, imageId: string, ms: number): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    const { json } = await call(p, 'GET', `/v2/images/${imageId}/tasks`, ADMIN);
    const done = json?.tasks?.find(
      (t: { status: string }) => t.status === 'success' || t.status === 'failure',
    );
    if (done) return done;
    if (Date.now() > until)
      throw new Error(`the import task of ${imageId} did not finish: ${JSON.stringify(json)}`);
    await sleep(250);
  }
}

(onPostgres ? describe : describe.skip)('Glint as several real processes on one PostgreSQL', () => {
  const dirs: string[] = [];
  const procs: GlintProcess[] = [];
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  function dir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  }

  beforeAll(() => {
    // The processes run the compiled service, as deployed.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  }, 240_000);

  beforeEach(async () => {
    db = await createTestDatabase();
  });

  afterEach(async () => {
    for (const p of procs.splice(0)) await stopGlint(p, 'SIGKILL');
    await db?.drop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('stages through process A and imports through process B (shared GLINT_STAGING_DIR)', async () => {
    const staging = dir('glint-mp-staging-');
    const images = dir('glint-mp-images-');
    const cfg = join(dir('glint-mp-cfg-'), 'glint.yaml');
    writeFileSync(cfg, `stores:\n  default_store: file\n  filesystem_store_datadir: ${images}\n`);
    const shared = { DATABASE_URL: db!.url, GLINT_STAGING_DIR: staging, GLINT_CONFIG: cfg };
    // A is an API-only node: the import can only run in B, from what A staged.
    const a = await startGlint({
      ...shared,
      GLINT_DATA_DIR: dir('glint-mp-a-'),
      GLINT_TASK_CONCURRENCY: '0',
    });
    procs.push(a);
    const b = await startGlint({ ...shared, GLINT_DATA_DIR: dir('glint-mp-b-'), GLINT_DB_MIGRATE: 'false' });
    procs.push(b);

    const data = randomBytes(2 * 1024 * 1024 + 3);
    const created = await call(a, 'POST', '/v2/images', USER, {
      name: 'two-nodes',
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect((await call(a, 'PUT', `/v2/images/${id}/stage`, USER, data)).status).toBe(204);
    expect(files(staging)).toEqual([id]);

    const imported = await call(b, 'POST', `/v2/images/${id}/import`, USER, {
      method: { name: 'glance-direct' },
    });
    expect(imported.status).toBe(202);
    const task = await finishedTask(b, id, 60_000);
    expect(task.status).toBe('success');

    for (const node of [a, b]) {
      const img = await call(node, 'GET', `/v2/images/${id}`, USER);
      expect(img.json).toMatchObject({ status: 'active', size: data.length });
      expect(img.json.checksum).toBe(createHash('md5').update(data).digest('hex'));
      const file = await call(node, 'GET', `/v2/images/${id}/file`, USER);
      expect(Buffer.compare(file.buffer, data)).toBe(0);
    }
    expect(files(staging)).toEqual([]);
    expect(files(images)).toEqual([id]);
  }, 300_000);

  it('a process killed during a web-download: after restart the task has ended and nothing is left over', async () => {
    const size = 8 * 1024 * 1024;
    const data = randomBytes(size);
    let sent = 0;
    const open = new Set<ServerResponse>();
    // Trickles the image so the download is surely under way when the process is killed.
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' });
      open.add(res);
      let at = 0;
      const tick = setInterval(() => {
        if (res.destroyed || at >= size) {
          clearInterval(tick);
          if (!res.destroyed) res.end();
          return;
        }
        const chunk = data.subarray(at, at + 64 * 1024);
        at += chunk.length;
        sent += chunk.length;
        res.write(chunk);
      }, 40);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const dataDir = dir('glint-mp-node-');
      const cfg = join(dir('glint-mp-cfg-'), 'glint.yaml');
      writeFileSync(
        cfg,
        `import_filtering_opts:\n  allowed_ports: [${port}]\n  allowed_hosts: [127.0.0.1]\n`,
      );
      const env = { DATABASE_URL: db!.url, GLINT_DATA_DIR: dataDir, GLINT_CONFIG: cfg };
      const first = await startGlint(env);
      procs.push(first);

      const created = await call(first, 'POST', '/v2/images', USER, {
        name: 'killed',
        disk_format: 'raw',
        container_format: 'bare',
      });
      const id = created.json.id as string;
      const started = await call(first, 'POST', `/v2/images/${id}/import`, USER, {
        method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` },
      });
      expect(started.status).toBe(202);
      // Killed once the download is surely under way: bytes sent and a half-written staging file.
      const staging = join(dataDir, 'staging');
      const until = Date.now() + 60_000;
      while (sent < 512 * 1024 || !files(staging).some((f) => f.startsWith('.incoming-'))) {
        if (Date.now() > until) throw new Error(`the download did not start:\n${first.output.join('')}`);
        await sleep(50);
      }
      const mid = await call(first, 'GET', `/v2/images/${id}`, USER);
      expect(mid.json.status).toBe('importing');
      expect(sent).toBeLessThan(size);

      await stopGlint(first, 'SIGKILL');
      expect(first.child.signalCode).toBe('SIGKILL');
      for (const res of open) res.destroy();

      const second = await startGlint(env);
      procs.push(second);
      const task = await finishedTask(second, id, 120_000);
      const img = (await call(second, 'GET', `/v2/images/${id}`, USER)).json;
      if (task.status === 'success') {
        expect(img).toMatchObject({ status: 'active', size });
        expect(img.checksum).toBe(createHash('md5').update(data).digest('hex'));
        expect(files(join(dataDir, 'images'))).toEqual([id]);
      } else {
        expect(task.message).toBe(INTERRUPTED_MESSAGE);
        expect(img).toMatchObject({ status: 'queued', size: null, checksum: null });
        expect(img.os_glance_failed_import).toBe('default');
        expect(img.os_glance_importing_to_stores).toBe('');
        expect(files(join(dataDir, 'images'))).toEqual([]);
      }
      expect(img.os_glance_import_task).toBeUndefined();
      expect(files(join(dataDir, 'staging'))).toEqual([]);

      // The image is usable again: a new import of it goes through.
      if (task.status === 'failure') {
        const retry = await call(second, 'POST', `/v2/images/${id}/import`, USER, {
          method: { name: 'web-download', uri: `http://127.0.0.1:${port}/img` },
        });
        expect(retry.status).toBe(202);
        const until2 = Date.now() + 120_000;
        let status = '';
        while (status !== 'active' && Date.now() < until2) {
          await sleep(500);
          status = (await call(second, 'GET', `/v2/images/${id}`, USER)).json.status;
        }
        expect(status).toBe('active');
        expect(files(join(dataDir, 'staging'))).toEqual([]);
      }
    } finally {
      for (const res of open) res.destroy();
      server.close();
    }
  }, 400_000);
});
