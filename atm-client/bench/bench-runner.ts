import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BatchStats, batchStats, fetchMetrics } from './admin-metrics.js';
import { BenchLink } from './bench-link.js';
import { type BenchSession, openBenchSession } from './bench-session.js';
import { formatProfileSummary, type ProfileSummary, summarizeCpuProfile } from './cpu-profile.js';
import { type FsyncTiming, fsyncSamples, timingOf } from './fsync-probe.js';
import { drive, type LoadWindow, type LoadWorker } from './load-driver.js';
import { processCpuSeconds } from './proc-stats.js';
import {
  BANK_SERVER_PROGRAM,
  compiledProgram,
  RAW_ECHO_PROGRAM,
  removeOnEarlyExit,
  runProgram,
  type SpawnedListener,
  spawnListening,
} from './spawned-process.js';
import {
  benchUser,
  type FrameSizes,
  MIX,
  type MixOp,
  mixSchedule,
  rawRequestFrame,
  requestFor,
  sealedFrameSizes,
} from './workload.js';

export type BenchSystem = 'raw' | 'full' | 'full-no-audit';

export interface BenchOptions {
  durationSec: number;
  warmupSec: number;
  connections: number[];
  /** Logins at the default cost (12) to time; 0 skips that step. */
  loginCount: number;
  /** Also run the full system with --no-audit (at the largest C). */
  auditOffRun: boolean;
  /** Skip the raw baseline (profiling sessions; no ratios then). */
  skipRaw: boolean;
  /** Write V8 CPU profiles of the audited full-system servers here and summarise them. */
  profileDir: string | null;
  log: (line: string) => void;
}

export interface RunResult extends Omit<LoadWindow, 'wall'> {
  system: BenchSystem;
  connections: number;
  throughput: number;
  serverCpuUtilization: number;
  serverCpuPerRequestUs: number;
  batches: BatchStats | null;
}

export interface LoginResult {
  bcryptCost: number;
  logins: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  serverCpuPerLoginMs: number;
}

export interface BenchResults {
  startedAt: string;
  machine: { cpus: number; model: string; node: string; platform: string };
  options: Omit<BenchOptions, 'log'>;
  mix: Record<MixOp, number>;
  frameSizes: FrameSizes;
  runs: RunResult[];
  ratios: Array<{ connections: number; ratio: number }>;
  auditOverhead: { connections: number; withAudit: number; withoutAudit: number; cost: number } | null;
  logins: LoginResult | null;
  /** 4 KiB write + fdatasync where the ledger lives: the floor of one durable commit. */
  fsync: FsyncTiming | null;
  /** One per thread of each profiled run: the main thread and the ledger worker. */
  profiles: Array<{ connections: number; thread: string; path: string; summary: ProfileSummary }>;
  notes: string[];
}

/**
 * Default durable settings, audit on, except two limits that a terminal sending 20+ requests a
 * second trips at once and a customer never would: the daily withdrawal limit and the fraud
 * velocity rule (10 debits a minute). With them at their defaults the bench would measure refusals
 * and fraud alerts, not transactions. The per-address login and registration limits are lifted
 * too, since every bench client comes from the same address.
 */
export const BANK_ARGS = [
  '--port',
  '0',
  '--admin-port',
  '0',
  '--allow-registration',
  '--daily-withdrawal-limit',
  '100000000000',
  '--fraud-velocity',
  '1000000000',
  // The bench opens its accounts from one address: the per-address limits would refuse most.
  '--max-registrations-per-hour',
  '1000000000',
  '--max-failed-logins-per-minute',
  '1000000000',
];
const PASSWORD = 'Bench-Pass-2024!';
const OPENING_CENTS = 10_000_000;

/** Run tasks with at most `limit` in flight. */
async function inBatches<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

interface BenchContext {
  options: BenchOptions;
  certDir: string;
  ca: string;
  sizes: FrameSizes;
  schedule: MixOp[];
}

function toResult(system: BenchSystem, connections: number, window: LoadWindow, batches: BatchStats | null): RunResult {
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
  };
}

async function runRaw(ctx: BenchContext, connections: number): Promise<RunResult> {
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
 * Enrolled bench terminals, each loaded with more cash than a run can take: sessions spread over
 * them, so cash movements do not all lock one terminal's cash row (as they once did the vault's).
 */
const BENCH_TERMINALS = 8;
const BENCH_TERMINAL_CASH = '100000000000.00';

interface BenchTerminal {
  id: string;
  cert: string;
  key: string;
}

interface StartedBank {
  bank: SpawnedListener;
  dataDir: string;
  ca: string;
  terminals: BenchTerminal[];
  /** Stop the bank and delete its data dir. */
  dispose(): Promise<number | null>;
}

async function startBank(extraArgs: string[], nodeArgs: string[] = []): Promise<StartedBank> {
  const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-bench-'));
  const keep = removeOnEarlyExit(dataDir);
  let bank: SpawnedListener | null = null;
  const dispose = async (): Promise<number | null> => {
    const code = bank ? await bank.stop() : null;
    await rm(dataDir, { recursive: true, force: true });
    keep();
    return code;
  };
  try {
    bank = await spawnListening(
      compiledProgram(BANK_SERVER_PROGRAM),
      ['start', '--data-dir', dataDir, ...BANK_ARGS, ...extraArgs],
      { nodeArgs },
    );
    const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const terminals = await enrolBenchTerminals(dataDir);
    return { bank, dataDir, ca, terminals, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** `bank-server terminals enroll` and `load` for each bench terminal, against the running bank. */
async function enrolBenchTerminals(dataDir: string): Promise<BenchTerminal[]> {
  const program = compiledProgram(BANK_SERVER_PROGRAM);
  return inBatches(BENCH_TERMINALS, 4, async (i) => {
    const id = `BENCH-${i + 1}`;
    await runProgram(program, ['terminals', 'enroll', id, '--data-dir', dataDir]);
    await runProgram(program, ['terminals', 'load', id, BENCH_TERMINAL_CASH, '--data-dir', dataDir]);
    const dir = join(dataDir, 'terminals');
    const [cert, key] = await Promise.all([
      readFile(join(dir, `${id}.crt`), 'utf8'),
      readFile(join(dir, `${id}.key`), 'utf8'),
    ]);
    return { id, cert, key };
  });
}

async function runFull(
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
  const accounts = connections + 1; // one more, so that even C = 1 has someone to transfer to
  let sessions: BenchSession[] = [];
  try {
    sessions = await inBatches(accounts, 16, async (i) => {
      const terminal = terminals[i % terminals.length] as BenchTerminal;
      const link = await BenchLink.open({
        host: '127.0.0.1',
        port: bank.port,
        ca,
        cert: terminal.cert,
        key: terminal.key,
      });
      const session = await openBenchSession(link, {
        user: benchUser(i),
        password: PASSWORD,
        method: 'register',
        terminal: terminal.id,
      });
      const opened = await session.call({ id: `open-${i}`, op: 'deposit', amountCents: OPENING_CENTS });
      if (!opened.ok) throw new Error(`opening deposit refused: ${opened.code}`);
      return session;
    });
    sessions.pop()?.close();
    const workers: LoadWorker[] = sessions.map((session, i) => {
      let n = 0;
      const offset = i * 7;
      const to = benchUser((i + 1) % accounts);
      return {
        async step() {
          const op = ctx.schedule[(offset + n) % ctx.schedule.length] as MixOp;
          const response = await session.call(requestFor(op, `s${i}-${n++}`, to));
          return response.ok ? null : response.code;
        },
        bytes: () => ({ out: session.link.bytesOut, in: session.link.bytesIn }),
      };
    });
    let before = '';
    let batches: BatchStats | null = null;
    const window = await drive(workers, {
      serverPid: bank.pid,
      warmupMs: ctx.options.warmupSec * 1000,
      durationMs: ctx.options.durationSec * 1000,
      onWindow: async (edge) => {
        if (bank.adminPort === null) return;
        if (edge === 'start') before = await fetchMetrics(bank.adminPort);
        else batches = batchStats(before, await fetchMetrics(bank.adminPort));
      },
    });
    return {
      result: toResult(system, connections, window, batches),
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
async function runLogins(ctx: BenchContext): Promise<LoginResult> {
  const cost = 12;
  const concurrency = 4;
  const { bank, ca, dispose } = await startBank(['--bcrypt-cost', String(cost)]);
  try {
    const users = ['login0', 'login1'];
    for (const user of users) {
      const link = await BenchLink.open({ host: '127.0.0.1', port: bank.port, ca });
      (await openBenchSession(link, { user, password: PASSWORD, method: 'register' })).close();
    }
    const cpu0 = processCpuSeconds(bank.pid);
    const t0 = performance.now();
    await inBatches(ctx.options.loginCount, concurrency, async (i) => {
      const link = await BenchLink.open({ host: '127.0.0.1', port: bank.port, ca });
      (
        await openBenchSession(link, {
          user: users[i % users.length] as string,
          password: PASSWORD,
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

/**
 * `atm bench` in one invocation: for each C, the raw TLS echo baseline and the full system
 * (durable commits, audit on) with the same load client; then the full system without audit
 * at the largest C, and logins per second at the default bcrypt cost.
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { log } = options;
  const certDir = await mkdtemp(join(tmpdir(), 'secure-atm-bench-certs-'));
  const keepCerts = removeOnEarlyExit(certDir);
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    options: {
      durationSec: options.durationSec,
      warmupSec: options.warmupSec,
      connections: options.connections,
      loginCount: options.loginCount,
      auditOffRun: options.auditOffRun,
      skipRaw: options.skipRaw,
      profileDir: options.profileDir,
    },
    mix: { ...MIX },
    frameSizes: sealedFrameSizes(),
    runs: [],
    ratios: [],
    auditOverhead: null,
    logins: null,
    fsync: null,
    profiles: [],
    notes: [],
  };
  try {
    // The raw baseline borrows a bank data dir's certificate, so both present the same one.
    await runProgram(compiledProgram(BANK_SERVER_PROGRAM), ['init', '--data-dir', certDir]);
    const ctx: BenchContext = {
      options,
      certDir,
      ca: await readFile(join(certDir, 'tls', 'ca.crt'), 'utf8'),
      sizes: results.frameSizes,
      schedule: mixSchedule(),
    };
    for (const c of options.connections) {
      let raw: RunResult | null = null;
      if (!options.skipRaw) {
        log(`raw TLS echo, C=${c} ...`);
        raw = await runRaw(ctx, c);
        results.runs.push(raw);
        log(`  ${raw.throughput.toFixed(0)} req/s, p99 ${raw.latencyMs.p99.toFixed(2)} ms`);
      }
      log(`full system (audit on), C=${c} ...`);
      // The fsync floor is measured next to the run it is compared with (C=1): the disk is shared.
      const probe = c === Math.min(...options.connections) ? fsyncSamples(tmpdir()) : null;
      const full = await runFull(ctx, c, 'full');
      if (probe) results.fsync = timingOf(tmpdir(), [...probe, ...fsyncSamples(tmpdir())]);
      results.runs.push(full.result);
      log(`  ${full.result.throughput.toFixed(0)} req/s, p99 ${full.result.latencyMs.p99.toFixed(2)} ms`);
      if (raw) results.ratios.push({ connections: c, ratio: full.result.throughput / raw.throughput });
      if (full.profile) {
        for (const { thread, path } of await threadProfiles(full.profile)) {
          results.profiles.push({ connections: c, thread, path, summary: await summarizeCpuProfile(path) });
        }
      }
    }
    const largest = Math.max(...options.connections);
    if (options.auditOffRun) {
      log(`full system (audit OFF), C=${largest} ...`);
      const off = (await runFull(ctx, largest, 'full-no-audit')).result;
      results.runs.push(off);
      const on = results.runs.find((r) => r.system === 'full' && r.connections === largest) as RunResult;
      results.auditOverhead = {
        connections: largest,
        withAudit: on.throughput,
        withoutAudit: off.throughput,
        cost: 1 - on.throughput / off.throughput,
      };
    }
    if (options.loginCount > 0) {
      log(`logins at bcrypt cost 12 (${options.loginCount}) ...`);
      results.logins = await runLogins(ctx);
    }
    for (const run of results.runs) {
      if (run.clientCpu > 0.85) {
        results.notes.push(
          `${run.system} C=${run.connections}: the load client used ${(run.clientCpu * 100).toFixed(0)}% of a core, so it may be the bottleneck of this run`,
        );
      }
      const errors = Object.entries(run.errors);
      if (errors.length > 0) {
        results.notes.push(
          `${run.system} C=${run.connections}: refusals ${errors.map(([code, n]) => `${code}×${n}`).join(', ')}`,
        );
      }
    }
    return results;
  } finally {
    await rm(certDir, { recursive: true, force: true });
    keepCerts();
  }
}

/**
 * The profiles `--cpu-prof` wrote for one run, named by Node `CPU.<date>.<time>.<pid>.<thread id>.<n>`:
 * thread 0 is the main thread, the others are the ledger worker.
 */
async function threadProfiles(dir: string): Promise<Array<{ thread: string; path: string }>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile')).sort();
  return names.map((name) => {
    const tid = name.split('.').at(-3);
    return { thread: tid === '0' ? 'main thread' : `worker thread ${tid}`, path: join(dir, name) };
  });
}

export function formatProfiles(results: BenchResults): string {
  return results.profiles
    .map((p) =>
      formatProfileSummary(
        `CPU profile of the bank, full system C=${p.connections}, ${p.thread} (${p.path})`,
        p.summary,
      ),
    )
    .join('\n\n');
}
