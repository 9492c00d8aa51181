import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { measure } from './load.js';
import type { LoadRequest, Measurement, Target } from './load.js';
import { parseOptions, USAGE } from './options.js';
import type { BenchOptions, TestName } from './options.js';
import { num, ratio, summarize, table } from './report.js';
import { createBody, identityHeaders, listPage, seedThroughApi } from './seed.js';
import { seedImagesIntoDatabase } from './sql-seed.js';

/**
 * Request benchmark of an Image API server, optionally against a reference server measured in
 * the same run. See bench/README.md for what each figure means.
 */

type RequestTest = Exclude<TestName, 'growth'>;
const REQUEST_TESTS: { name: RequestTest; label: string }[] = [
  { name: 'create', label: 'create POST /v2/images' },
  { name: 'show', label: 'show GET /v2/images/{id}' },
  { name: 'list25', label: 'list ?limit=25' },
  { name: 'list200', label: 'list ?limit=200' },
  { name: 'filtered', label: 'list ?status=queued&sort_key=name&limit=25' },
];

interface GrowthPoint {
  images: number;
  rounds?: Measurement[];
  note?: string;
}

interface ServerResults {
  target: Target;
  tests: Partial<Record<RequestTest, Measurement[]>>;
  growth: GrowthPoint[];
  notes: string[];
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function checkServer(target: Target): Promise<void> {
  const res = await fetch(`${target.url}/versions`).catch((err: unknown) => {
    throw new Error(`${target.name}: ${target.url} does not answer: ${String(err)}`);
  });
  if (res.status !== 200) throw new Error(`${target.name}: GET /versions answered ${res.status}`);
}

/**
 * Brings a project to `want` images: SQL for the server whose database we were given, the API up
 * to --max-api-seed, otherwise not at all (the caller reports the point as skipped).
 */
async function growProject(
  opts: BenchOptions,
  target: Target,
  sqlDatabase: string | undefined,
  project: string,
  prefix: string,
  have: number,
  want: number,
): Promise<string | undefined> {
  if (want <= have) return undefined;
  const started = Date.now();
  if (sqlDatabase) {
    await seedImagesIntoDatabase(sqlDatabase, { owner: project, prefix, from: have, count: want - have });
    const last = await listPage(
      target,
      project,
      `name=${encodeURIComponent(`${prefix}-${want - 1}`)}&limit=1`,
    );
    if (last.length !== 1) {
      throw new Error(
        `${target.name}: images seeded with SQL are not visible through the API; ` +
          'adapt seedImagesSql in bench/sql-seed.ts to the current images table',
      );
    }
  } else if (want <= opts.maxApiSeed) {
    await seedThroughApi(target, project, prefix, have, want - have);
  } else {
    return (
      `${want} images not seeded: more than --max-api-seed ${opts.maxApiSeed} through the API` +
      (target.name === opts.name ? ' (--database-url seeds a Glint on PostgreSQL with SQL)' : '')
    );
  }
  log(
    `${target.name}: project ${project} now has ${want} images (+${want - have} in ${Date.now() - started} ms)`,
  );
  return undefined;
}

function describe(m: Measurement): string {
  return (
    `${num(m.reqPerSec)} req/s, p50 ${num(m.p50Ms)} ms, p99 ${num(m.p99Ms)} ms, ` +
    `CPU ${num(m.cpuMsPerReq)} ms/req, ${m.completed} ok, ${m.non2xx} non-2xx, ${m.errors} errors`
  );
}

async function main(): Promise<void> {
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    const message = (err as Error).message;
    if (message === USAGE) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    process.stderr.write(message.includes(USAGE) ? `${message}\n` : `${message}\n\n${USAGE}`);
    process.exit(2);
  }
  const targets: Target[] = [{ name: opts.name, url: opts.url, pid: opts.pid }];
  if (opts.refUrl) targets.push({ name: opts.refName, url: opts.refUrl, pid: opts.refPid });
  for (const t of targets) await checkServer(t);

  const run = randomBytes(3).toString('hex');
  const project = (purpose: string) => `bench-${run}-${purpose}`;
  const results: ServerResults[] = targets.map((target) => ({ target, tests: {}, growth: [], notes: [] }));
  const sqlFor = (t: Target) => (t.name === opts.name && t.url === opts.url ? opts.databaseUrl : undefined);
  const requestTests = REQUEST_TESTS.filter((t) => opts.tests.includes(t.name));
  log(
    `run ${run}: ${targets.map((t) => `${t.name} ${t.url}${t.pid ? ` (pid ${t.pid})` : ''}`).join(' vs ')}; ` +
      `${opts.connections} connections, ${opts.warmupSeconds} s warm-up + ${opts.durationSeconds} s per test, ` +
      `${opts.rounds} round(s)`,
  );

  // The project the show and list tests read: --seed images, seeded once per server.
  const showIds = new Map<Target, string>();
  if (requestTests.some((t) => t.name !== 'create')) {
    for (const r of results) {
      const note = await growProject(opts, r.target, sqlFor(r.target), project('list'), 'seed', 0, opts.seed);
      if (note) throw new Error(`${r.target.name}: ${note}; lower --seed`);
      const [first] = await listPage(r.target, project('list'), 'limit=1');
      showIds.set(r.target, first.id);
    }
  }

  let created = 0;
  const requestFor = (test: RequestTest, target: Target): LoadRequest => {
    switch (test) {
      case 'create':
        return {
          method: 'POST',
          path: '/v2/images',
          headers: identityHeaders(project('create')),
          body: () => createBody(`bench-create-${created++}`),
        };
      case 'show':
        return {
          method: 'GET',
          path: `/v2/images/${showIds.get(target)}`,
          headers: identityHeaders(project('list')),
        };
      case 'list25':
        return { method: 'GET', path: '/v2/images?limit=25', headers: identityHeaders(project('list')) };
      case 'list200':
        return { method: 'GET', path: '/v2/images?limit=200', headers: identityHeaders(project('list')) };
      case 'filtered':
        return {
          method: 'GET',
          path: '/v2/images?status=queued&sort_key=name&limit=25',
          headers: identityHeaders(project('list')),
        };
    }
  };

  // Interleaved per test: every server runs a test before the next test starts, and the order
  // alternates between rounds, so slow phases of a shared machine hit both.
  const loadOptions = {
    connections: opts.connections,
    durationSeconds: opts.durationSeconds,
    warmupSeconds: opts.warmupSeconds,
    maxRequests: opts.maxRequests,
  };
  for (const test of requestTests) {
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? results : [...results].reverse();
      for (const r of order) {
        const m = await measure(r.target, requestFor(test.name, r.target), loadOptions);
        (r.tests[test.name] ??= []).push(m);
        log(`${test.name} round ${round + 1} ${r.target.name}: ${describe(m)}`);
      }
    }
  }

  if (opts.tests.includes('growth')) {
    const have = new Map<Target, number>(targets.map((t) => [t, 0]));
    for (const images of opts.growth) {
      const ready: ServerResults[] = [];
      for (const r of results) {
        const note = await growProject(
          opts,
          r.target,
          sqlFor(r.target),
          project('growth'),
          'growth',
          have.get(r.target)!,
          images,
        );
        if (note) {
          r.growth.push({ images, note });
          log(`growth ${images} ${r.target.name}: skipped, ${note}`);
        } else {
          have.set(r.target, images);
          r.growth.push({ images, rounds: [] });
          ready.push(r);
        }
      }
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? ready : [...ready].reverse();
        for (const r of order) {
          const m = await measure(
            r.target,
            { method: 'GET', path: '/v2/images?limit=25', headers: identityHeaders(project('growth')) },
            {
              connections: opts.growthConnections,
              durationSeconds: opts.growthDurationSeconds,
              warmupSeconds: Math.min(opts.warmupSeconds, 1),
              maxRequests: opts.maxRequests,
            },
          );
          r.growth[r.growth.length - 1].rounds!.push(m);
          log(`growth ${images} round ${round + 1} ${r.target.name}: ${describe(m)}`);
        }
      }
    }
  }

  printReport(opts, results, requestTests);
  if (opts.json) {
    writeFileSync(
      opts.json,
      JSON.stringify(
        {
          run,
          options: { ...opts, databaseUrl: opts.databaseUrl ? '(given)' : undefined },
          results: results.map((r) => ({ ...r, target: { ...r.target } })),
        },
        null,
        2,
      ),
    );
    log(`wrote ${opts.json}`);
  }
}

/** Marks figures that rest on too few completions per connection to mean much. */
function thin(rounds: Measurement[], connections: number): string {
  return rounds.some((m) => m.completed < 4 * connections) ? '*' : '';
}

function printReport(
  opts: BenchOptions,
  results: ServerResults[],
  requestTests: { name: RequestTest; label: string }[],
): void {
  const out: string[] = [];
  const roundsNote = opts.rounds > 1 ? ` (medians of ${opts.rounds} rounds)` : '';
  if (requestTests.length > 0) {
    out.push(
      `## Request tests: ${opts.connections} connections, ${opts.durationSeconds} s each after ` +
        `${opts.warmupSeconds} s warm-up${roundsNote}; show/list over a project of ${opts.seed} images`,
      '',
    );
    const rows: string[][] = [];
    for (const test of requestTests) {
      for (const r of results) {
        const s = summarize(r.tests[test.name] ?? []);
        rows.push([
          test.label,
          r.target.name,
          num(s.reqPerSec) + thin(r.tests[test.name] ?? [], opts.connections),
          num(s.p50Ms),
          num(s.p99Ms),
          num(s.cpuMsPerReq),
          `${s.non2xx}/${s.errors}`,
        ]);
      }
    }
    out.push(
      table(['test', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'non-2xx/errors'], rows),
      '',
    );
    if (results.length === 2) {
      const [a, b] = results;
      out.push(
        `## ${a.target.name} / ${b.target.name} (per-round ratios${opts.rounds > 1 ? ', median' : ''})`,
        '',
      );
      out.push(
        table(
          ['test', 'req/s', 'p50', 'p99', 'CPU/req'],
          requestTests.map((test) => {
            const x = a.tests[test.name] ?? [];
            const y = b.tests[test.name] ?? [];
            return [
              test.label,
              num(ratio(x, y, (m) => m.reqPerSec)),
              num(ratio(x, y, (m) => m.p50Ms)),
              num(ratio(x, y, (m) => m.p99Ms)),
              num(ratio(x, y, (m) => m.cpuMsPerReq)),
            ];
          }),
        ),
        '',
        'req/s above 1 and latency or CPU below 1 favour the first server.',
        '',
      );
    }
  }
  if (opts.tests.includes('growth')) {
    out.push(
      `## List ?limit=25 by images in the project: ${opts.growthConnections} connection(s), ` +
        `${opts.growthDurationSeconds} s per point${roundsNote}`,
      '',
    );
    const rows: string[][] = [];
    for (const images of opts.growth) {
      for (const r of results) {
        const point = r.growth.find((g) => g.images === images);
        if (!point?.rounds) {
          rows.push([String(images), r.target.name, 'skipped', '', '', '', point?.note ?? '']);
          continue;
        }
        const s = summarize(point.rounds);
        rows.push([
          String(images),
          r.target.name,
          num(s.reqPerSec) + thin(point.rounds, opts.growthConnections),
          num(s.p50Ms),
          num(s.p99Ms),
          num(s.cpuMsPerReq),
          `${s.non2xx}/${s.errors}`,
        ]);
      }
    }
    out.push(
      table(['images', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'non-2xx/errors'], rows),
      '',
    );
    // p99 at the largest measured point against the smallest: how list latency grows with the
    // project (the brief's 100 000 vs 1 000 when every point ran).
    for (const r of results) {
      const measured = r.growth.filter((g) => g.rounds?.length);
      const lo = measured[0];
      const hi = measured[measured.length - 1];
      if (lo && hi && hi !== lo) {
        const p99 = (g: GrowthPoint) => summarize(g.rounds!).p99Ms;
        const skipped = r.growth.filter((g) => !g.rounds).map((g) => g.images);
        out.push(
          `${r.target.name}: p99 at ${hi.images} images / p99 at ${lo.images} = ${num(p99(hi) / p99(lo))} ` +
            `(${num(p99(hi))} ms / ${num(p99(lo))} ms)` +
            (skipped.length ? `; not measured: ${skipped.join(', ')} images` : ''),
        );
      } else {
        out.push(`${r.target.name}: fewer than two growth points measured`);
      }
    }
    out.push('');
  }
  if (out.some((line) => line.includes('*'))) {
    out.push(
      '* fewer than 4 completions per connection in a round: latency and CPU per request rest on few ' +
        'requests (CPU/req may be overstated by up to connections/completions); raise --duration.',
    );
  }
  const cpuless = results.filter((r) => r.target.pid === undefined).map((r) => r.target.name);
  if (cpuless.length) out.push(`No --pid for ${cpuless.join(', ')}: CPU per request not measured.`);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
