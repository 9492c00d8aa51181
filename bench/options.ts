import { parseArgs } from 'node:util';

export const TEST_NAMES = ['create', 'show', 'list25', 'list200', 'filtered', 'growth'] as const;
export type TestName = (typeof TEST_NAMES)[number];

export interface BenchOptions {
  url: string;
  pid?: number;
  name: string;
  refUrl?: string;
  refPid?: number;
  refName: string;
  databaseUrl?: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  seed: number;
  growth: number[];
  growthDurationSeconds: number;
  growthConnections: number;
  maxApiSeed: number;
  maxRequests: number;
  tests: TestName[];
  json?: string;
}

export const USAGE = `npm run bench -- --url URL [options]

  --url URL               server under test (loopback only), e.g. http://127.0.0.1:9292
  --pid PID               its process (or process-group leader): server CPU ms per request
  --name NAME             its label (glint)
  --ref-url URL           reference server measured in the same run, interleaved per test
  --ref-pid PID           its process (Glance peer: $GLANCE_PEER_DIR/glance-api.pid)
  --ref-name NAME         its label (reference)
  --database-url URL      the PostgreSQL database of --url: seed large projects with SQL
  --connections N         concurrent connections for the request tests (16)
  --duration S            seconds measured per test (10)
  --warmup S              seconds of discarded warm-up before each measurement (2)
  --rounds N              repeat every test N times, alternating which server goes first (1)
  --seed N                images seeded into the project of show/list tests (2000)
  --growth N,N,...        list latency at these image counts (1000,10000,100000)
  --growth-duration S     seconds per growth point (5)
  --growth-connections N  connections per growth point (1: latency is service time)
  --max-api-seed N        largest project seeded through the API; larger points need SQL (2000)
  --max-requests N        cap on requests per measurement (200000)
  --tests a,b,...         subset of ${TEST_NAMES.join(',')}
  --json FILE             also write every measurement as JSON
`;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function loopbackUrl(flag: string, value: string | undefined, protocols: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag}: not a URL: ${value}`);
  }
  if (!protocols.includes(url.protocol)) throw new Error(`${flag}: expected ${protocols.join(' or ')} URL`);
  if (!LOOPBACK_HOSTS.has(url.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(url.hostname)) {
    throw new Error(`${flag}: only loopback addresses are allowed, got ${url.hostname}`);
  }
  return value.replace(/\/+$/, '');
}

function int(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${flag}: expected an integer from ${min} to ${max}, got ${value}`);
  }
  return n;
}

function seconds(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${flag}: expected seconds from ${min} to ${max}, got ${value}`);
  }
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      pid: { type: 'string' },
      name: { type: 'string' },
      'ref-url': { type: 'string' },
      'ref-pid': { type: 'string' },
      'ref-name': { type: 'string' },
      'database-url': { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string' },
      growth: { type: 'string' },
      'growth-duration': { type: 'string' },
      'growth-connections': { type: 'string' },
      'max-api-seed': { type: 'string' },
      'max-requests': { type: 'string' },
      tests: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const url = loopbackUrl('--url', values.url, ['http:']);
  if (!url) throw new Error(`--url is required\n\n${USAGE}`);
  const tests = (values.tests ?? TEST_NAMES.join(',')).split(',').map((t) => t.trim());
  for (const t of tests) {
    if (!(TEST_NAMES as readonly string[]).includes(t)) throw new Error(`--tests: unknown test ${t}`);
  }
  const growth = (values.growth ?? '1000,10000,100000')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => int('--growth', s.trim(), 0, 1, 1_000_000))
    .sort((a, b) => a - b);
  return {
    url,
    pid: values.pid === undefined ? undefined : int('--pid', values.pid, 0, 1, 2 ** 22),
    name: values.name ?? 'glint',
    refUrl: loopbackUrl('--ref-url', values['ref-url'], ['http:']),
    refPid: values['ref-pid'] === undefined ? undefined : int('--ref-pid', values['ref-pid'], 0, 1, 2 ** 22),
    refName: values['ref-name'] ?? 'reference',
    databaseUrl: loopbackUrl('--database-url', values['database-url'], ['postgres:', 'postgresql:']),
    connections: int('--connections', values.connections, 16, 1, 256),
    durationSeconds: seconds('--duration', values.duration, 10, 0.5, 300),
    warmupSeconds: seconds('--warmup', values.warmup, 2, 0, 60),
    rounds: int('--rounds', values.rounds, 1, 1, 10),
    seed: int('--seed', values.seed, 2000, 1, 100_000),
    growth,
    growthDurationSeconds: seconds('--growth-duration', values['growth-duration'], 5, 0.5, 120),
    growthConnections: int('--growth-connections', values['growth-connections'], 1, 1, 256),
    maxApiSeed: int('--max-api-seed', values['max-api-seed'], 2000, 0, 200_000),
    maxRequests: int('--max-requests', values['max-requests'], 200_000, 1, 10_000_000),
    tests: tests as TestName[],
    json: values.json,
  };
}
