/**
 * Image data transfer benchmark (issue 4 targets), every figure measured in the same run:
 * - upload MB/s against `sha512sum` of the same file;
 * - download MB/s against `cat file > /dev/null` (page cache), and against the loopback ceiling:
 *   the best of a bare Node server, a sendfile(2) server and a server that reads no file, each
 *   handing curl as many bytes;
 * - md5 in one thread, the bound of an upload (which hashes md5 and sha512 on two threads);
 * - download MB/s with GLINT_VERIFY_ON_READ (the image hashed as it is sent);
 * - server RSS growth while an image is uploaded and downloaded;
 * - with --s3, upload MB/s into an S3 store beside a plain SDK multipart upload of the same file
 *   to the same server (s3rver on loopback);
 * - with --glance URL, the same upload and download against a running Glance (trusted headers).
 *
 * npm run bench:transfer -- [--size-mib 1024] [--rounds 3] [--rss-size-mib 4096] [--s3] [--glance URL]
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  openSync,
  readSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  createWriteStream,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';

const MB = 1e6;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function makeFile(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < mib; i++) if (!out.write(randomBytes(1024 * 1024))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

function timeCommand(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * MB/s of md5 over the cached file in this thread. An upload must compute md5 and sha512 of every
 * byte; each has its own thread, so the slower one (md5, on the CPUs measured) bounds an upload
 * even with a core to itself, before the network and the disk take their share.
 */
function md5OneThread(file: string): number {
  const buffer = Buffer.allocUnsafeSlow(4 * 1024 * 1024);
  const fd = openSync(file, 'r');
  const start = process.hrtime.bigint();
  const hash = createHash('md5');
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; total += n)
      hash.update(buffer.subarray(0, n));
    hash.digest();
  } finally {
    closeSync(fd);
  }
  return total / MB / (Number(process.hrtime.bigint() - start) / 1e9);
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

interface Server {
  url: string;
  pid: number;
  /** Sent with every request (the identity a reference Glance reads from trusted headers). */
  headers?: Record<string, string>;
  stop(): Promise<void>;
}

/** `-H` arguments of curl for the server's own headers. */
function headerArgs(server: Server): string[] {
  return Object.entries(server.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
}

async function startGlint(
  dataDir: string,
  config?: string,
  settings: Record<string, string> = {},
): Promise<Server> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...settings,
    PORT: String(port),
    GLINT_DATA_DIR: dataDir,
    GLINT_LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  if (config) env.GLINT_CONFIG = config;
  const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 600 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('listening')) throw new Error(`Glint did not start: ${out}`);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGINT');
      await once(child, 'exit');
    },
  };
}

function call(url: string, method: string, headers: Record<string, string>, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a kept-alive one can be closed by the server between rounds.
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        (res.statusCode ?? 500) < 300 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function createImage(server: Server): Promise<string> {
  const body = JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' });
  return (
    JSON.parse(
      await call(
        `${server.url}/v2/images`,
        'POST',
        { ...server.headers, 'Content-Type': 'application/json' },
        body,
      ),
    ) as { id: string }
  ).id;
}

/**
 * Transfers go through curl, as in the Glance baseline: Node's own HTTP client tops out far below
 * what the server sends (about 200 MB/s here), which would measure the client, not Glint.
 */
function curlSeconds(args: string[]): number {
  const out = execFileSync('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', '%{time_total}', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Number(out.toString());
}

function uploadArgs(server: Server, id: string, file: string): string[] {
  return [
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/octet-stream',
    ...headerArgs(server),
    // -T streams the file; --data-binary would read all of it into curl's memory first.
    '-T',
    file,
    `${server.url}/v2/images/${id}/file`,
  ];
}

function upload(server: Server, id: string, file: string): number {
  return curlSeconds(uploadArgs(server, id, file));
}

/** The same upload with this process's event loop free meanwhile (it hosts the S3 server). */
async function uploadAsync(server: Server, id: string, file: string): Promise<number> {
  const { stdout } = await promisify(execFile)('curl', [
    '-sS',
    '--fail',
    '-o',
    '/dev/null',
    '-w',
    '%{time_total}',
    ...uploadArgs(server, id, file),
  ]);
  return Number(stdout);
}

function download(server: Server, id: string): number {
  return curlSeconds([...headerArgs(server), `${server.url}/v2/images/${id}/file`]);
}

/**
 * A running Glance (the peer of ../shared/peers/glance, trusted identity headers) measured with
 * the same file, curl and rounds, right after Glint: its figures divided by Glint's.
 */
async function glanceComparison(
  url: string,
  file: string,
  bytes: number,
  rounds: number,
  glint: { up: number; down: number },
) {
  const glance: Server = {
    url: url.replace(/\/$/, ''),
    pid: 0,
    headers: {
      'X-Identity-Status': 'Confirmed',
      'X-Project-Id': 'bench-transfer',
      'X-User-Id': 'bench',
      'X-Roles': 'admin,member,reader',
    },
    stop: () => Promise.resolve(),
  };
  let up = 0;
  let id = '';
  const ids: string[] = [];
  for (let r = 0; r < rounds; r++) {
    id = await createImage(glance);
    ids.push(id);
    up = Math.max(up, bytes / MB / upload(glance, id, file));
  }
  download(glance, id);
  let down = 0;
  for (let r = 0; r < rounds; r++) down = Math.max(down, bytes / MB / download(glance, id));
  for (const each of ids)
    await call(`${glance.url}/v2/images/${each}`, 'DELETE', glance.headers ?? {}).catch(() => undefined);
  console.log(
    `| Glance at ${glance.url}: upload PUT /file | ${up.toFixed(0)} | Glint ${(glint.up / up).toFixed(2)} × Glance |`,
  );
  console.log(
    `| Glance at ${glance.url}: download GET /file | ${down.toFixed(0)} | Glint ${(glint.down / down).toFixed(2)} × Glance |`,
  );
}

/**
 * The loopback ceiling: the fastest a server on this machine hands a cached file to curl. A bare
 * Node http server (createReadStream with 1 MiB reads piped into the response: what Glint does,
 * minus Glint), a sendfile(2) server in Python, and a server that reads no file at all (it sends
 * one 4 MiB buffer over and over): no file server can beat the last, so it bounds what any
 * download can reach here whatever `cat` does. Each runs in its own process, as Glint does.
 */
const BARE_NODE_SERVER = `
const { createServer } = require('node:http');
const { createReadStream, statSync } = require('node:fs');
const file = process.argv[1];
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
  createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

const IN_MEMORY_SERVER = `
const { createServer } = require('node:http');
const { statSync } = require('node:fs');
const size = statSync(process.argv[1]).size;
const block = Buffer.alloc(4 * 1024 * 1024, 0x5a);
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const n = Math.min(block.length, size - sent);
      sent += n;
      if (!res.write(n === block.length ? block : block.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

const SENDFILE_SERVER = `
import os, socket, sys
path = sys.argv[1]
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(8)
print('listening', srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    buf = b''
    while b'\\r\\n\\r\\n' not in buf:
        got = conn.recv(65536)
        if not got:
            break
        buf += got
    size = os.path.getsize(path)
    conn.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % size)
    with open(path, 'rb') as f:
        offset = 0
        while offset < size:
            offset += os.sendfile(conn.fileno(), f.fileno(), offset, size - offset)
    conn.close()
`;

interface PlainServer {
  name: string;
  url: string;
  stop(): void;
}

/** A throw-away file server process started by `cmd args`; undefined when it cannot start. */
async function startPlain(name: string, cmd: string, args: string[]): Promise<PlainServer | undefined> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  child.on('error', () => undefined);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 100 && !/listening \d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const port = /listening (\d+)/.exec(out)?.[1];
  const stop = () => void child.kill('SIGKILL');
  if (!port) {
    stop();
    return undefined;
  }
  return { name, url: `http://127.0.0.1:${port}/`, stop };
}

async function main(): Promise<void> {
  const sizeMib = arg('size-mib', 1024);
  const rssMib = arg('rss-size-mib', 0);
  const dir = mkdtempSync(join(tmpdir(), 'glint-transfer-'));
  const file = join(dir, 'image.bin');
  const bytes = sizeMib * 1024 * 1024;
  try {
    await makeFile(file, sizeMib);
    // Written back first: an upload's own fsync would otherwise also wait for the source's dirty pages.
    execFileSync('sync');
    execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // into the page cache
    const sha512sum = () => bytes / MB / timeCommand('sha512sum', [file]);
    let sha = sha512sum();
    let md5 = md5OneThread(file);
    // Best of several rounds, interleaved, for every download figure: on a shared machine one
    // sample measures the neighbours as much as the server.
    const rounds = Math.max(1, arg('rounds', 3));
    let cat = 0;
    for (let r = 0; r < rounds; r++)
      cat = Math.max(cat, bytes / MB / timeCommand('sh', ['-c', `cat '${file}' > /dev/null`]));

    let glint = await startGlint(join(dir, 'data'));
    const plain = (
      await Promise.all([
        startPlain('bare Node http server', process.execPath, ['-e', BARE_NODE_SERVER, file]),
        startPlain('sendfile(2) server', 'python3', ['-c', SENDFILE_SERVER, file]),
        startPlain('in-memory server (reads no file)', process.execPath, ['-e', IN_MEMORY_SERVER, file]),
      ])
    ).filter((p): p is PlainServer => p !== undefined);
    try {
      let id = '';
      let up = 0;
      // The reference gets as many tries as the upload, each just before one: the machine's speed
      // drifts (sha512sum measured 369–549 MB/s within an hour here), so both take the best.
      for (let r = 0; r < rounds; r++) {
        if (r > 0) {
          sha = Math.max(sha, sha512sum());
          md5 = Math.max(md5, md5OneThread(file));
        }
        id = await createImage(glint);
        up = Math.max(up, bytes / MB / upload(glint, id, file));
      }
      // Uploads bypass the page cache (direct I/O): one untimed download brings the image into it,
      // as `cat` had the source file, so that every download figure reads from memory.
      download(glint, id);
      let downMb = 0;
      const ceilings = new Map<string, number>(plain.map((p) => [p.name, 0]));
      for (let r = 0; r < rounds; r++) {
        downMb = Math.max(downMb, bytes / MB / download(glint, id));
        for (const p of plain)
          ceilings.set(p.name, Math.max(ceilings.get(p.name)!, bytes / MB / curlSeconds([p.url])));
      }
      const best = Math.max(0, ...ceilings.values());
      console.log(
        `file ${sizeMib} MiB, best of ${rounds} uploads and downloads, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
      );
      console.log('| figure | MB/s | ratio |');
      console.log('|---|---|---|');
      console.log(`| sha512sum | ${sha.toFixed(0)} | |`);
      console.log(`| md5 in one Node thread (OpenSSL), the upload's slowest hash | ${md5.toFixed(0)} | |`);
      console.log(
        `| upload PUT /file (file store) | ${up.toFixed(0)} | ${(up / sha).toFixed(2)} × sha512sum, ${(up / md5).toFixed(2)} × md5 in one thread |`,
      );
      console.log(`| cat > /dev/null | ${cat.toFixed(0)} | |`);
      for (const [name, mb] of ceilings)
        console.log(
          `| loopback ceiling: ${name} → curl | ${mb.toFixed(0)} | ${(mb / cat).toFixed(2)} × cat |`,
        );
      console.log(
        `| download GET /file | ${downMb.toFixed(0)} | ${(downMb / cat).toFixed(2)} × cat${best ? `, ${(downMb / best).toFixed(2)} × loopback ceiling` : ''} |`,
      );

      const glanceUrl = process.argv[process.argv.indexOf('--glance') + 1];
      if (process.argv.includes('--glance') && glanceUrl)
        await glanceComparison(glanceUrl, file, bytes, rounds, { up, down: downMb });

      if (rssMib > 0) {
        const big = join(dir, 'big.bin');
        await makeFile(big, rssMib);
        const before = rssKb(glint.pid);
        let peak = before;
        const timer = setInterval(() => (peak = Math.max(peak, rssKb(glint.pid))), 100);
        const bigId = await createImage(glint);
        // Asynchronous transfers, so that the sampler's timer keeps running meanwhile.
        const curl = promisify(execFile);
        const target = `${glint.url}/v2/images/${bigId}/file`;
        await curl('curl', [
          '-sS',
          '--fail',
          '-o',
          '/dev/null',
          '-X',
          'PUT',
          '-H',
          'Content-Type: application/octet-stream',
          '-T',
          big,
          target,
        ]);
        await curl('curl', ['-sS', '--fail', '-o', '/dev/null', target]);
        clearInterval(timer);
        console.log(
          `| server RSS during a ${rssMib} MiB upload + download | before ${(before / 1024).toFixed(0)} MB, peak ${(peak / 1024).toFixed(0)} MB, growth ${((peak - before) / 1024).toFixed(0)} MB | |`,
        );
        rmSync(big, { force: true });
      }

      // The same image again, from a Glint that hashes what it sends (sha512, the default).
      await glint.stop();
      glint = await startGlint(join(dir, 'data'), undefined, { GLINT_VERIFY_ON_READ: 'true' });
      let verified = 0;
      for (let r = 0; r < rounds; r++) verified = Math.max(verified, bytes / MB / download(glint, id));
      console.log(
        `| download GET /file, GLINT_VERIFY_ON_READ=true | ${verified.toFixed(0)} | ${(verified / cat).toFixed(2)} × cat, ${(verified / sha).toFixed(2)} × sha512sum |`,
      );
    } finally {
      for (const p of plain) p.stop();
      await glint.stop();
    }

    if (process.argv.includes('--s3')) await s3Comparison(dir, file, bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function s3Comparison(dir: string, file: string, bytes: number): Promise<void> {
  const { default: S3rver } = await import('s3rver');
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const s3dir = join(dir, 's3');
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory: s3dir, silent: true });
  const { port } = (await s3.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'sdk' }));
    const start = process.hrtime.bigint();
    await new Upload({
      client,
      params: { Bucket: 'sdk', Key: 'image', Body: createReadStream(file) },
      partSize: 10 * 1024 * 1024,
      queueSize: 10,
    }).done();
    const sdk = bytes / MB / (Number(process.hrtime.bigint() - start) / 1e9);

    const config = join(dir, 'glint.yaml');
    writeFileSync(
      config,
      [
        'stores:',
        '  enabled_backends: {s3: s3}',
        '  default_backend: s3',
        `  s3: {s3_store_host: ${endpoint}, s3_store_access_key: S3RVER, s3_store_secret_key: S3RVER,`,
        '       s3_store_bucket: glint, s3_store_create_bucket_on_put: true, s3_store_bucket_url_format: path}',
        '',
      ].join('\n'),
    );
    const glint = await startGlint(join(dir, 'data-s3'), config);
    try {
      const id = await createImage(glint);
      const up = bytes / MB / (await uploadAsync(glint, id, file));
      console.log(`| S3: plain SDK multipart upload (10 MiB parts, 10 at once) | ${sdk.toFixed(0)} | |`);
      console.log(
        `| S3: upload PUT /file into an s3 store | ${up.toFixed(0)} | ${(up / sdk).toFixed(2)} × SDK |`,
      );
    } finally {
      await glint.stop();
    }
  } finally {
    await s3.close();
  }
}

await main();
