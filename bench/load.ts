import autocannon from 'autocannon';
import { serverCpuMs } from './cpu.js';

export interface Target {
  /** Label in the tables ("glint", "glance"). */
  name: string;
  url: string;
  /** Root of the server's processes, for CPU per request; CPU is not reported without it. */
  pid?: number;
}

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request (create); undefined for GETs. */
  body?: () => string;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Hard cap on requests per measurement (autocannon's maxOverallRequests). */
  maxRequests: number;
}

export interface Measurement {
  /** 2xx responses per second over the measured window. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU milliseconds per 2xx response, or undefined without a pid. */
  cpuMsPerReq?: number;
  /** Upper bound of the CPU-per-request overstatement: requests in flight at the end. */
  cpuBiasMax?: number;
  completed: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function cannon(
  target: Target,
  request: LoadRequest,
  connections: number,
  seconds: number,
  maxRequests: number,
  onResponse?: (status: number, ms: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const body = request.body;
    const instance = autocannon(
      {
        url: target.url,
        connections,
        duration: seconds,
        maxOverallRequests: Math.max(maxRequests, connections),
        timeout: 30,
        requests: [
          {
            method: request.method,
            path: request.path,
            headers: {
              ...request.headers,
              ...(body ? { 'content-type': 'application/json' } : {}),
            },
            ...(body ? { setupRequest: (req) => ({ ...req, body: body() }) } : {}),
          },
        ],
      },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    if (onResponse) {
      instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
    }
  });
}

/**
 * Waits until the server's processes are idle (under 5 % of a core for half a second), so that
 * requests a previous test left in the server's queue, which go on using CPU after the load
 * generator hung up, are not counted against the next measurement. Without a pid it can only
 * pause. Returns how long it waited, in ms.
 */
export async function waitForIdle(target: Target, maxMs = 60_000): Promise<number> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const started = Date.now();
  if (!target.pid) {
    await sleep(1000);
    return Date.now() - started;
  }
  let previous = serverCpuMs(target.pid);
  let quiet = 0;
  while (Date.now() - started < maxMs) {
    await sleep(250);
    const now = serverCpuMs(target.pid);
    quiet = now - previous < 12.5 ? quiet + 1 : 0;
    previous = now;
    if (quiet >= 2) break;
  }
  return Date.now() - started;
}

/**
 * One autocannon run of warm-up + measured window. The measurement starts at the end of the
 * warm-up without closing the connections, so the server is in steady state on both edges of
 * the window: requests in flight at the start and at the end roughly cancel out in the CPU per
 * request (what remains is at most `cpuBiasMax`, connections / completions). Stopping and
 * restarting the load instead would leave the server working off aborted warm-up requests
 * inside the window. Latency percentiles are of the 2xx responses completed in the window, from
 * autocannon's per-response timings (its histogram has whole-millisecond bins, too coarse for
 * sub-millisecond servers).
 */
export async function measure(
  target: Target,
  request: LoadRequest,
  options: LoadOptions,
): Promise<Measurement> {
  await waitForIdle(target);
  const latencies: number[] = [];
  let measuring = options.warmupSeconds <= 0;
  let cpuBefore: number | undefined;
  let started = process.hrtime.bigint();
  let non2xx = 0;
  const begin = () => {
    cpuBefore = target.pid ? serverCpuMs(target.pid) : undefined;
    started = process.hrtime.bigint();
    measuring = true;
  };
  if (measuring) begin();
  const timer = measuring ? undefined : setTimeout(begin, options.warmupSeconds * 1000);
  const result = await cannon(
    target,
    request,
    options.connections,
    options.warmupSeconds + options.durationSeconds,
    options.maxRequests,
    (status, ms) => {
      if (!measuring) return;
      if (status >= 200 && status < 300) latencies.push(ms);
      else non2xx++;
    },
  ).finally(() => clearTimeout(timer));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = target.pid ? serverCpuMs(target.pid) : undefined;
  latencies.sort((a, b) => a - b);
  const completed = latencies.length;
  const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  return {
    reqPerSec: completed / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerReq: cpuMs !== undefined && completed > 0 ? cpuMs / completed : undefined,
    cpuBiasMax: completed > 0 ? options.connections / completed : undefined,
    completed,
    non2xx,
    errors: result.errors,
    seconds,
  };
}
