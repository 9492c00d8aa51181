import type { Measurement } from './load.js';

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

export function num(value: number | undefined, digits?: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toFixed(d);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The median of each figure over the rounds of one test on one server. */
export function summarize(rounds: Measurement[]): Measurement {
  const pick = (f: (m: Measurement) => number | undefined) =>
    median(rounds.map(f).filter((v): v is number => v !== undefined));
  return {
    reqPerSec: pick((m) => m.reqPerSec),
    p50Ms: pick((m) => m.p50Ms),
    p99Ms: pick((m) => m.p99Ms),
    cpuMsPerReq: rounds.some((m) => m.cpuMsPerReq !== undefined) ? pick((m) => m.cpuMsPerReq) : undefined,
    cpuBiasMax: pick((m) => m.cpuBiasMax),
    completed: rounds.reduce((s, m) => s + m.completed, 0),
    non2xx: rounds.reduce((s, m) => s + m.non2xx, 0),
    errors: rounds.reduce((s, m) => s + m.errors, 0),
    seconds: rounds.reduce((s, m) => s + m.seconds, 0),
  };
}

/** Median over rounds of the per-round ratio a/b, so that noise shared by a round cancels. */
export function ratio(a: Measurement[], b: Measurement[], f: (m: Measurement) => number | undefined): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = f(a[i]);
    const y = f(b[i]);
    if (x !== undefined && y !== undefined && y !== 0) ratios.push(x / y);
  }
  return median(ratios);
}
