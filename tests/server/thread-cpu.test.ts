import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerMetrics } from '../../server/metrics.js';
import { readThreadCpu, threadStatPath } from '../../server/thread-cpu.js';

/** A /proc/<pid>/task/<tid>/stat line: fields after the name are state, ppid, …, utime (14), stime (15). */
function statLine(name: string, utimeTicks: number, stimeTicks: number): string {
  const after = ['S', '1', '2', '3', '0', '-1', '4194560', '10', '0', '0', '0', String(utimeTicks), String(stimeTicks)];
  return `4242 (${name}) ${after.join(' ')} 0 0 20 0 1 0 100 0 0\n`;
}

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function fakeStat(name: string, utime: number, stime: number): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'secure-atm-thread-cpu-'));
  const path = join(dir, 'stat');
  await writeFile(path, statLine(name, utime, stime));
  return path;
}

describe('readThreadCpu', () => {
  it('reads utime and stime in clock ticks as seconds, whatever the thread name holds', async () => {
    const path = await fakeStat('a) (b c', 250, 37);
    expect(readThreadCpu(path)).toEqual({ userSeconds: 2.5, systemSeconds: 0.37 });
  });

  it('is null for a thread that is gone', () => {
    expect(readThreadCpu(join(tmpdir(), 'secure-atm-no-such-thread', 'stat'))).toBeNull();
  });
});

describe('threadStatPath', () => {
  it("is the main thread's own task entry (its tid is the pid)", () => {
    expect(threadStatPath()).toBe(`/proc/${process.pid}/task/${process.pid}/stat`);
  });

  it('in a worker thread names that thread, and its CPU is read from the main thread', async () => {
    // The worker burns CPU until its own stat file shows 20 ticks (0.2 s), then says where it is.
    const worker = new Worker(
      `
      const { readFileSync, readlinkSync } = require('node:fs');
      const { parentPort } = require('node:worker_threads');
      const path = '/proc/' + readlinkSync('/proc/thread-self') + '/stat';
      const ticks = () => { const f = readFileSync(path, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return Number(x[11]) + Number(x[12]); };
      let n = 0;
      while (ticks() < 20) for (let i = 0; i < 1e6; i++) n += i;
      parentPort.postMessage({ path, ticks: ticks(), n });
      setTimeout(() => {}, 60000);
      `,
      { eval: true },
    );
    const mainCpu = () => {
      const cpu = readThreadCpu(threadStatPath() ?? '');
      return cpu ? cpu.userSeconds + cpu.systemSeconds : Number.NaN;
    };
    const mainBefore = mainCpu();
    try {
      const seen = await new Promise<{ path: string; ticks: number }>((res) => worker.once('message', res));
      expect(seen.path).not.toBe(threadStatPath());
      expect(seen.path).toMatch(new RegExp(`^/proc/${process.pid}/task/\\d+/stat$`));
      const cpu = readThreadCpu(seen.path);
      if (!cpu) throw new Error('the worker thread should still be there');
      expect(cpu.userSeconds + cpu.systemSeconds).toBeGreaterThanOrEqual(seen.ticks / 100 - 1e-9);
      // The main thread waited meanwhile: the burn was counted to the worker, not to it.
      expect(mainCpu() - mainBefore).toBeLessThan(seen.ticks / 100);
    } finally {
      await worker.terminate();
    }
  });
});

describe('bank_thread_cpu_seconds_total', () => {
  const value = (text: string, labels: string) =>
    text
      .split('\n')
      .find((l) => l.startsWith(`bank_thread_cpu_seconds_total{${labels}}`))
      ?.split(' ')[1];

  it("reports the main thread from the start and each watched thread's stat file on every read", async () => {
    const metrics = createServerMetrics();
    const first = await metrics.registry.metrics();
    expect(Number(value(first, 'thread="main",mode="user"'))).toBeGreaterThan(0);
    expect(value(first, 'thread="ledger",mode="user"')).toBeUndefined();

    const path = await fakeStat('node', 1234, 56);
    metrics.watchThreadCpu('ledger', path);
    const second = await metrics.registry.metrics();
    expect(value(second, 'thread="ledger",mode="user"')).toBe('12.34');
    expect(value(second, 'thread="ledger",mode="system"')).toBe('0.56');

    // Read again, not added up: the kernel's figure as it is now.
    await writeFile(path, statLine('node', 1300, 60));
    const third = await metrics.registry.metrics();
    expect(value(third, 'thread="ledger",mode="user"')).toBe('13');
    await rm(path);
    expect(value(await metrics.registry.metrics(), 'thread="ledger",mode="user"')).toBeUndefined();
  });
});
