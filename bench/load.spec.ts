import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { measure, percentile, waitForIdle } from './load.js';
import { median, ratio } from './report.js';
import type { Measurement } from './load.js';

describe('percentile and median', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('takes the median of per-round ratios', () => {
    const m = (reqPerSec: number) => ({ reqPerSec }) as Measurement;
    expect(ratio([m(10), m(30), m(50)], [m(10), m(10), m(10)], (x) => x.reqPerSec)).toBe(3);
  });
});

async function listen(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('measure', () => {
  it('counts 2xx responses apart from the others, with latency, within the request cap', async () => {
    let hits = 0;
    // A few ms per answer, so the warm-up cannot use up the whole request cap on a fast machine.
    const { server, url } = await listen((_req, res) => {
      hits++;
      const status = hits % 2 ? 200 : 503;
      setTimeout(() => res.writeHead(status).end('{}'), 5);
    });
    try {
      const m = await measure(
        { name: 'local', url },
        { method: 'POST', path: '/x', headers: {}, body: () => '{"a":1}' },
        { connections: 2, durationSeconds: 1, warmupSeconds: 0.3, maxRequests: 400 },
      );
      expect(m.completed).toBeGreaterThan(0);
      expect(Math.abs(m.completed - m.non2xx)).toBeLessThanOrEqual(4);
      expect(hits).toBeLessThanOrEqual(400);
      expect(m.reqPerSec).toBeCloseTo(m.completed / m.seconds, 5);
      expect(m.p50Ms).toBeGreaterThan(0);
      expect(m.p99Ms).toBeGreaterThanOrEqual(m.p50Ms);
      expect(m.cpuMsPerReq).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('reads the server CPU per request from /proc', async () => {
    // A server in a child process that spends 5 ms of CPU on each request.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `require('node:http').createServer((q, s) => { const t = process.cpuUsage(); while (process.cpuUsage(t).user < 5000) {} s.end('{}'); })
           .listen(0, '127.0.0.1', function () { console.log(this.address().port); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<string>((resolve) =>
        child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
      );
      const m = await measure(
        { name: 'child', url: `http://127.0.0.1:${port}`, pid: child.pid },
        { method: 'GET', path: '/', headers: {} },
        { connections: 1, durationSeconds: 2, warmupSeconds: 0.5, maxRequests: 10_000 },
      );
      const figures = JSON.stringify(m);
      expect(m.completed, figures).toBeGreaterThan(3);
      // One request may straddle the start of the window, so the floor is (n - 1) * 5 ms / n.
      expect(m.cpuMsPerReq, figures).toBeGreaterThanOrEqual((5 * (m.completed - 1)) / m.completed - 0.5);
      expect(m.cpuMsPerReq, figures).toBeLessThan(50);
    } finally {
      child.kill();
    }
  }, 30_000);
});

describe('waitForIdle', () => {
  it('waits while the server burns CPU and returns once it is idle', async () => {
    // Busy for 400 ms of CPU, then idle.
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 400000) {} setTimeout(() => {}, 60000)',
      ],
      { stdio: 'ignore' },
    );
    try {
      const waited = await waitForIdle({ name: 'child', url: 'http://127.0.0.1:1', pid: child.pid }, 20_000);
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(20_000);
      expect(
        await waitForIdle({ name: 'child', url: 'http://127.0.0.1:1', pid: child.pid }, 20_000),
      ).toBeLessThan(5_000);
    } finally {
      child.kill();
    }
  }, 30_000);
});
