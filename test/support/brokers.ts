import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A name no other test run on this machine uses: subjects, exchanges, channels, streams. */
export function runId(label: string): string {
  return `glint-t-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function binary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return name;
}

/**
 * A broker process of the test's own on a loopback port, which the test may stop and start
 * again (the machine's shared brokers are never touched).
 */
export class ThrowawayBroker {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'glint-broker-'));

  private constructor(
    private readonly kind: 'nats' | 'redis',
    readonly port: number,
  ) {}

  static async start(kind: 'nats' | 'redis'): Promise<ThrowawayBroker> {
    const broker = new ThrowawayBroker(kind, await freePort());
    await broker.up();
    return broker;
  }

  async up(): Promise<void> {
    const [cmd, args] =
      this.kind === 'nats'
        ? [binary('nats-server'), ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir]]
        : [
            binary('redis-server'),
            [
              '--bind',
              '127.0.0.1',
              '--port',
              String(this.port),
              '--save',
              '',
              '--appendonly',
              'no',
              '--dir',
              this.dir,
            ],
          ];
    const child = spawn(cmd, args, { stdio: 'ignore' });
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`))),
    );
    const deadline = Date.now() + 15_000;
    while (!(await Promise.race([portAnswers(this.port), exited]))) {
      if (Date.now() > deadline) throw new Error(`${cmd} did not answer on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    exited.catch(() => undefined);
  }

  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A TCP forwarder in front of a shared broker, so that a test can take "the broker" away from
 * Glint without touching the machine's broker: `down()` cuts every connection and refuses new
 * ones (as a stopped broker does), `up()` accepts again on the same port.
 */
export class BrokerOutage {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<BrokerOutage> {
    const outage = new BrokerOutage(target, await freePort());
    await outage.up();
    return outage;
  }

  /** Connections Glint has open through the forwarder now. */
  get connections(): number {
    return this.clients.size;
  }

  up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.clients.add(client);
      client.once('close', () => this.clients.delete(client));
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.clients.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
