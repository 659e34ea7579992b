/** The bench's three measurements: the raw TLS echo baseline, the full system under load, and logins. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BatchStats, batchStats, fetchMetrics, threadCpu } from './admin-metrics.js';
import { BENCH_PASSWORD, inBatches, startBank } from './bench-bank.js';
import { BenchLink } from './bench-link.js';
import { mixWorkers, openMixSessions } from './bench-mix.js';
import { type BenchSession, openBenchSession } from './bench-session.js';
import type { BenchOptions, BenchSystem, LoginResult, RunResult } from './bench-types.js';
import { drive, type LoadWindow, type LoadWorker } from './load-driver.js';
import { type CpuSplit, processCpuSeconds } from './proc-stats.js';
import {
  compiledProgram,
  FLOOR_PROGRAM,
  RAW_ECHO_PROGRAM,
  removeOnEarlyExit,
  spawnListening,
} from './spawned-process.js';
import { benchUser, type FrameSizes, type MixOp, rawRequestFrame } from './workload.js';

export interface BenchContext {
  options: BenchOptions;
  certDir: string;
  ca: string;
  sizes: FrameSizes;
  schedule: MixOp[];
}

function toResult(
  system: BenchSystem,
  connections: number,
  window: LoadWindow,
  batches: BatchStats | null,
  ledgerThreadCpu: CpuSplit | null = null,
): RunResult {
  const { wall, ...rest } = window;
  const wallSec = (wall.end - wall.start) / 1000;
  return {
    system,
    connections,
    ...rest,
    throughput: window.requests / window.durationSec,
    serverCpuUtilization: window.serverCpuSeconds / wallSec,
    serverCpuPerRequestUs: window.requests ? (window.serverCpuSeconds / window.requests) * 1e6 : Number.NaN,
    batches,
    ledgerThreadCpu,
  };
}

export async function runRaw(ctx: BenchContext, connections: number): Promise<RunResult> {
  const echo = await spawnListening(
    compiledProgram(RAW_ECHO_PROGRAM),
    ['--cert', join(ctx.certDir, 'tls', 'server.crt'), '--key', join(ctx.certDir, 'tls', 'server.key')],
    { stdinPipe: true },
  );
  const frames = new Map<MixOp, Buffer>();
  for (const op of new Set(ctx.schedule)) frames.set(op, rawRequestFrame(op, ctx.sizes));
  const links = await inBatches(connections, 20, () =>
    BenchLink.open({ host: '127.0.0.1', port: echo.port, ca: ctx.ca }),
  );
  try {
    const workers: LoadWorker[] = links.map((link, i) => {
      let n = i * 7;
      return {
        async step() {
          await link.roundTrip(frames.get(ctx.schedule[n++ % ctx.schedule.length] as MixOp) as Buffer);
          return null;
        },
        bytes: () => ({ out: link.bytesOut, in: link.bytesIn }),
      };
    });
    const window = await drive(workers, {
      serverPid: echo.pid,
      warmupMs: ctx.options.warmupSec * 1000,
      durationMs: ctx.options.durationSec * 1000,
    });
    return toResult('raw', connections, window, null);
  } finally {
    for (const link of links) link.close();
    await echo.stop();
  }
}

/**
 * The protocol floor (floor-server.ts) under the same mix: every login accepted, balances in
 * memory, no audit; with `journal`, one write + fdatasync per turn before mutations are answered,
 * in the temp dir the bank's data dir would be in (the same disk).
 */
export async function runFloor(ctx: BenchContext, connections: number, journal: boolean): Promise<RunResult> {
  const dir = journal ? await mkdtemp(join(tmpdir(), 'secure-atm-bench-floor-')) : null;
  const keep = dir ? removeOnEarlyExit(dir) : () => {};
  const args = ['--cert', join(ctx.certDir, 'tls', 'server.crt'), '--key', join(ctx.certDir, 'tls', 'server.key')];
  if (dir) args.push('--journal', join(dir, 'journal.log'));
  const floor = await spawnListening(compiledProgram(FLOOR_PROGRAM), args, { stdinPipe: true });
  let sessions: BenchSession[] = [];
  try {
    // No client certificate is asked for: the floor has no terminal rules, so one id serves all.
    sessions = await openMixSessions({
      connections,
      ca: ctx.ca,
      terminals: [{ id: 'FLOOR-1' }],
      portOf: () => floor.port,
      user: benchUser,
    });
    const window = await drive(mixWorkers(sessions, ctx.schedule, benchUser), {
      serverPid: floor.pid,
      warmupMs: ctx.options.warmupSec * 1000,
      durationMs: ctx.options.durationSec * 1000,
    });
    return toResult(journal ? 'floor-journal' : 'floor', connections, window, null);
  } finally {
    for (const s of sessions) s.close();
    await floor.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    keep();
  }
}

export async function runFull(
  ctx: BenchContext,
  connections: number,
  system: 'full' | 'full-no-audit',
): Promise<{ result: RunResult; profile: string | null }> {
  // One directory per run and Node's default file names (pid and thread id in them): the main
  // thread and the ledger worker each write their own profile there.
  const profileRunDir =
    ctx.options.profileDir && system === 'full'
      ? join(ctx.options.profileDir, `bank-${system}-c${connections}-${Date.now()}`)
      : null;
  const nodeArgs = profileRunDir ? ['--cpu-prof', `--cpu-prof-dir=${profileRunDir}`] : [];
  const extra = ['--bcrypt-cost', '4', '--max-connections-per-address', String(Math.max(256, connections + 16))];
  if (system === 'full-no-audit') extra.push('--no-audit');
  const { bank, ca, terminals, dispose } = await startBank(extra, nodeArgs);
  let sessions: BenchSession[] = [];
  try {
    sessions = await openMixSessions({ connections, ca, terminals, portOf: () => bank.port, user: benchUser });
    const workers = mixWorkers(sessions, ctx.schedule, benchUser);
    let before = '';
    let batches: BatchStats | null = null;
    let ledgerThreadCpu: CpuSplit | null = null;
    const window = await drive(workers, {
      serverPid: bank.pid,
      warmupMs: ctx.options.warmupSec * 1000,
      durationMs: ctx.options.durationSec * 1000,
      onWindow: async (edge) => {
        if (bank.adminPort === null) return;
        if (edge === 'start') {
          before = await fetchMetrics(bank.adminPort);
          return;
        }
        const after = await fetchMetrics(bank.adminPort);
        batches = batchStats(before, after);
        const [from, to] = [threadCpu(before, 'ledger'), threadCpu(after, 'ledger')];
        if (from && to) ledgerThreadCpu = { user: to.user - from.user, system: to.system - from.system };
      },
    });
    return {
      result: toResult(system, connections, window, batches, ledgerThreadCpu),
      profile: profileRunDir,
    };
  } finally {
    for (const s of sessions) s.close();
    const code = await dispose();
    if (code !== 0)
      ctx.options.log(`warning: bank-server exited with ${code} after the ${system} C=${connections} run`);
  }
}

/** Logins per second at the default bcrypt cost (12), `concurrency` at a time. */
export async function runLogins(ctx: BenchContext): Promise<LoginResult> {
  const cost = 12;
  const concurrency = 4;
  const { bank, ca, dispose } = await startBank(['--bcrypt-cost', String(cost)]);
  try {
    const users = ['login0', 'login1'];
    for (const user of users) {
      const link = await BenchLink.open({ host: '127.0.0.1', port: bank.port, ca });
      (await openBenchSession(link, { user, password: BENCH_PASSWORD, method: 'register' })).close();
    }
    const cpu0 = processCpuSeconds(bank.pid);
    const t0 = performance.now();
    await inBatches(ctx.options.loginCount, concurrency, async (i) => {
      const link = await BenchLink.open({ host: '127.0.0.1', port: bank.port, ca });
      (
        await openBenchSession(link, {
          user: users[i % users.length] as string,
          password: BENCH_PASSWORD,
          method: 'password',
        })
      ).close();
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = processCpuSeconds(bank.pid) - cpu0;
    return {
      bcryptCost: cost,
      logins: ctx.options.loginCount,
      concurrency,
      seconds,
      perSecond: ctx.options.loginCount / seconds,
      serverCpuPerLoginMs: (cpu / ctx.options.loginCount) * 1000,
    };
  } finally {
    await dispose();
  }
}
