import { spawn } from 'node:child_process';
import { parseProcStat, serverCpuMs, serverProcesses } from './cpu.js';
import type { ProcStat } from './cpu.js';

describe('parseProcStat', () => {
  it('reads pid, ppid, process group and all four CPU fields, whatever the command name holds', () => {
    const line =
      '4242 (glance-api: (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 10 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 1, pgrp: 4242, ticks: 250 + 50 + 7 + 3 });
  });
});

describe('serverProcesses', () => {
  const p = (pid: number, ppid: number, pgrp: number): ProcStat => ({ pid, ppid, pgrp, ticks: 1 });
  const all = [
    p(1, 0, 1),
    p(10, 1, 10),
    p(11, 10, 10),
    p(12, 10, 10),
    p(13, 12, 13),
    p(20, 1, 10),
    p(30, 1, 30),
  ];

  it('takes the group of a group leader and every descendant', () => {
    expect(serverProcesses(10, all, 0).map((x) => x.pid)).toEqual([10, 11, 12, 20, 13]);
  });

  it('takes only descendants of a process that leads no group, and never the caller', () => {
    expect(serverProcesses(12, all, 0).map((x) => x.pid)).toEqual([12, 13]);
    expect(serverProcesses(10, all, 11).map((x) => x.pid)).not.toContain(11);
  });

  it('names the pid when it does not exist', () => {
    expect(() => serverProcesses(99, all, 0)).toThrow(/no process 99/);
  });
});

describe('serverCpuMs', () => {
  it('counts the CPU of child processes, also after they exited', async () => {
    // A parent that only waits, and a child that spins for 300 ms of CPU and exits.
    const spin = 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300000) {}';
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(spin)}], { stdio: 'ignore' });
         c.on('exit', () => console.log('done')); setTimeout(() => {}, 60000)`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const before = serverCpuMs(parent.pid!);
      await new Promise((resolve) => parent.stdout.once('data', resolve));
      const used = serverCpuMs(parent.pid!) - before;
      expect(used).toBeGreaterThanOrEqual(280);
      // Node's own start-up CPU comes on top of the 300 ms and grows on a loaded machine.
      expect(used).toBeLessThan(10_000);
    } finally {
      parent.kill();
    }
  }, 30_000);
});
