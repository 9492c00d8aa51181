import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real OpenStack clients that Debian ships (python3-glanceclient 4.1 and
 * python3-openstacksdk 0.101 with keystoneauth1 5.0) against an Image API URL, for the
 * compatibility tests. Everything here is asynchronous on purpose: the server under test usually
 * runs in this same process, and a synchronous spawn would block the event loop that must answer
 * the client.
 */

export const GLANCE_BIN = '/usr/bin/glance';
/** Debian's interpreter: the one that has openstacksdk, whatever python3 comes first on PATH. */
export const PYTHON_BIN = '/usr/bin/python3';
const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');
const DEFAULT_TIMEOUT_MS = 60_000;

export interface RealClientsAvailability {
  ok: boolean;
  /** What is missing, in words an operator can act on. */
  missing: string[];
}

/** Whether the Debian packages the compatibility tests drive are installed. */
export function detectRealClients(): RealClientsAvailability {
  const missing: string[] = [];
  if (!existsSync(GLANCE_BIN)) missing.push(`${GLANCE_BIN} (Debian package python3-glanceclient)`);
  if (!existsSync(PYTHON_BIN)) {
    missing.push(`${PYTHON_BIN} (Debian package python3)`);
  } else {
    const probe = spawnSync(PYTHON_BIN, ['-c', 'import openstack, keystoneauth1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    if (probe.status !== 0) missing.push('python module openstack (Debian package python3-openstacksdk)');
  }
  return { ok: missing.length === 0, missing };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a client gets: no OS_* settings from the developer's shell, a fresh HOME. */
function clientEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('OS_')) env[key] = value;
  }
  return { ...env, HOME: home, PYTHONDONTWRITEBYTECODE: '1', LC_ALL: 'C.UTF-8' };
}

function run(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${stderr}`));
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface GlanceOptions {
  /** Any string: a noauth server ignores it; the Glance peer maps `user:project:roles`. */
  token?: string;
  /** Adds `-d`, so stderr lists every HTTP request (see `glanceRequests`). */
  debug?: boolean;
  timeoutMs?: number;
}

/**
 * Runs `glance --os-image-url URL --os-auth-token T ARGS…`.
 *
 * Two quirks of python-glanceclient 4.1 shape this:
 * - it caches the server's image schema in ~/.glanceclient and, against a server whose schema
 *   has a `stores` property, the next call dies on its own `--stores` option; so every call gets
 *   a fresh, empty HOME;
 * - `image-create` uploads stdin as image data unless fd 0 is closed: /dev/null (what Node's
 *   'ignore' gives) is "not a tty" and turns a queued image into an active zero-byte one. Node
 *   cannot leave fd 0 closed in a child, so a shell closes it (`<&-`) and then execs glance.
 */
export async function runGlance(
  url: string,
  args: string[],
  options: GlanceOptions = {},
): Promise<ProcessResult> {
  const home = mkdtempSync(join(tmpdir(), 'glint-glanceclient-'));
  try {
    const glanceArgs = [
      ...(options.debug ? ['-d'] : []),
      '--os-image-url',
      url,
      '--os-auth-token',
      options.token ?? 'glint-real-clients',
      ...args,
    ];
    return await run('/bin/sh', ['-c', 'exec "$0" "$@" <&-', GLANCE_BIN, ...glanceArgs], {
      env: clientEnv(home),
      timeoutMs: options.timeoutMs,
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Like `runGlance`, but a non-zero exit is an error carrying the client's own message. */
export async function glance(
  url: string,
  args: string[],
  options: GlanceOptions = {},
): Promise<ProcessResult> {
  const result = await runGlance(url, args, options);
  if (result.code !== 0) {
    throw new Error(`glance ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/**
 * Rows of the prettytable(s) the glance CLI prints, header row first. A cell that prettytable
 * wrapped over several lines comes back joined without separator: the only values long enough
 * to wrap at the CLI's 80 columns are hashes and ids, which have no spaces.
 */
export function parseTable(stdout: string): string[][] {
  const rows: string[][] = [];
  let separators = 0;
  for (const line of stdout.split('\n')) {
    if (/^\+[-+]+\+$/.test(line.trim())) {
      separators++;
      continue;
    }
    if (!line.startsWith('|')) continue;
    const cells = line
      .trim()
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    const previous = rows[rows.length - 1];
    // A continuation line of a wrapped row leaves the first column empty (ids never are).
    if (previous && separators >= 2 && cells[0] === '' && rows.length > 1) {
      cells.forEach((cell, i) => (previous[i] = (previous[i] ?? '') + cell));
      continue;
    }
    rows.push(cells);
  }
  return rows;
}

/** The `Property | Value` table of image-show, image-create and image-update. */
export function parsePropertyTable(stdout: string): Record<string, string> {
  const rows = parseTable(stdout);
  if (rows.length === 0 || rows[0][0] !== 'Property') {
    throw new Error(`not a glance property table:\n${stdout}`);
  }
  return Object.fromEntries(rows.slice(1).map(([key, value]) => [key, value ?? '']));
}

/** A list table (image-list: `ID | Name`, more columns with `-v`) as one object per row. */
export function parseListTable(stdout: string): Record<string, string>[] {
  const rows = parseTable(stdout);
  if (rows.length === 0) return [];
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** The JSON list cells glanceclient prints for `tags` (`["a", "b"]`). */
export function parseJsonCell(cell: string): unknown {
  return JSON.parse(cell);
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

/** The HTTP requests a `glance -d` call made, from urllib3's debug lines on stderr. */
export function glanceRequests(stderr: string): LoggedRequest[] {
  const requests: LoggedRequest[] = [];
  const pattern = /^DEBUG:urllib3\.connectionpool:\S+ "(\w+) (\S+) HTTP\/[\d.]+" (\d{3})/gm;
  for (const match of stderr.matchAll(pattern)) {
    requests.push({ method: match[1], path: match[2], status: Number(match[3]) });
  }
  return requests;
}

/** One step of the openstacksdk driver (test/support/python/sdk_driver.py). */
export type SdkStep =
  | {
      op: 'create';
      save?: string;
      name: string;
      tags?: string[];
      properties?: Record<string, string>;
      visibility?: string;
      disk_format?: string;
      container_format?: string;
    }
  | { op: 'show' | 'deactivate' | 'reactivate' | 'delete'; image: string }
  | { op: 'list'; query?: Record<string, string | number | boolean> }
  | {
      op: 'update';
      image: string;
      attrs?: Record<string, unknown>;
      set_properties?: Record<string, string>;
      remove_properties?: string[];
    }
  | { op: 'add_tag' | 'remove_tag'; image: string; tag: string }
  | { op: 'upload'; image: string; data: string };

/** An image as openstacksdk reports it (its attribute names, not the wire names). */
export interface SdkImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner_id: string | null;
  tags: string[];
  properties: Record<string, unknown>;
  disk_format: string | null;
  container_format: string | null;
  is_protected: boolean;
  is_hidden: boolean;
  min_disk: number;
  min_ram: number;
  size: number | null;
  checksum: string | null;
  created_at: string;
  updated_at: string;
}

export interface SdkStepResult {
  op: string;
  ok: boolean;
  result?: unknown;
  error?: { type: string; http_status: number | null; message: string; trace?: string };
  /** How many HTTP requests this step made. */
  requests: number;
}

export interface SdkRun {
  steps: SdkStepResult[];
  /** Every request, with the identity headers it carried (lower-case names). */
  requests: (LoggedRequest & { headers: Record<string, string> })[];
}

/**
 * Runs a list of openstacksdk calls in one Python process (the SDK takes over a second to
 * import). `headers` go on every request, e.g. the trusted identity headers.
 */
export async function runSdk(
  url: string,
  steps: SdkStep[],
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<SdkRun> {
  const home = mkdtempSync(join(tmpdir(), 'glint-openstacksdk-'));
  try {
    const result = await run(PYTHON_BIN, [join(PYTHON_DIR, 'sdk_driver.py')], {
      env: clientEnv(home),
      input: JSON.stringify({ url, headers: options.headers ?? {}, steps }),
      timeoutMs: options.timeoutMs,
    });
    if (result.code !== 0) {
      throw new Error(`openstacksdk driver exited with ${result.code}:\n${result.stderr}`);
    }
    return JSON.parse(result.stdout) as SdkRun;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The result of a step that must have succeeded; a failed step throws with the SDK's error. */
export function stepResult<T>(run: SdkRun, index: number): T {
  const step = run.steps[index];
  if (!step) throw new Error(`no step ${index}`);
  if (!step.ok) {
    throw new Error(`openstacksdk step ${index} (${step.op}) failed: ${JSON.stringify(step.error, null, 2)}`);
  }
  return step.result as T;
}
