import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of a server's processes from /proc/<pid>/stat: utime + stime + cutime + cstime of the
 * process, of its process group when it leads one (Glance's parent and its forked workers), and
 * of every descendant. The children's fields (cutime, cstime) keep the CPU of workers that were
 * reaped between two readings.
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

/** Parses one /proc/<pid>/stat line; the command name may contain spaces and parentheses. */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open).trim());
  // Fields after the name, numbered as in proc(5) from field 3 (state) on.
  const rest = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  return {
    pid,
    ppid: field(4),
    pgrp: field(5),
    ticks: field(14) + field(15) + field(16) + field(17),
  };
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of the /proc times (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readAll(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.push(parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // The process ended between the directory listing and the read.
    }
  }
  return stats;
}

/** The processes that make up the server rooted at `root`, from a snapshot of /proc. */
export function serverProcesses(root: number, all: ProcStat[], exclude: number = process.pid): ProcStat[] {
  const rootStat = all.find((p) => p.pid === root);
  if (!rootStat) throw new Error(`no process ${root} (is the server's --pid right?)`);
  const chosen = new Map<number, ProcStat>([[root, rootStat]]);
  if (rootStat.pgrp === root) {
    for (const p of all) if (p.pgrp === root) chosen.set(p.pid, p);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!chosen.has(p.pid) && chosen.has(p.ppid)) {
        chosen.set(p.pid, p);
        grew = true;
      }
    }
  }
  chosen.delete(exclude);
  return [...chosen.values()];
}

/** CPU milliseconds used so far by the server rooted at `pid`. */
export function serverCpuMs(pid: number): number {
  const ticks = serverProcesses(pid, readAll()).reduce((sum, p) => sum + p.ticks, 0);
  return (ticks * 1000) / clockTicksPerSecond();
}
