/** What `atm bench` takes and reports: options, per-run results and the whole report. */
import type { BatchStats } from './admin-metrics.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { FsyncTiming } from './fsync-probe.js';
import type { LoadWindow } from './load-driver.js';
import type { CpuSplit } from './proc-stats.js';
import type { FrameSizes, MixOp } from './workload.js';

/**
 * `floor`: the protocol engine answering from memory (floor-server.ts); `floor-journal`: the same
 * with a group-committed journal fsync before each answer to a mutation.
 */
export type BenchSystem = 'raw' | 'floor' | 'floor-journal' | 'full' | 'full-no-audit';

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
  /** Also run the protocol floor (in memory, and with a journal fsync) at each C. */
  floor: boolean;
  /** Write V8 CPU profiles of the audited full-system servers here and summarise them. */
  profileDir: string | null;
  /** Pin the load client and the servers to different CPUs with taskset (cpu-pinning.ts), when it exists. */
  pin?: boolean;
  log: (line: string) => void;
}

export interface RunResult extends Omit<LoadWindow, 'wall'> {
  system: BenchSystem;
  connections: number;
  throughput: number;
  serverCpuUtilization: number;
  serverCpuPerRequestUs: number;
  batches: BatchStats | null;
  /** The bank's ledger writer thread's CPU over the window (from its /metrics); null for the others. */
  ledgerThreadCpu: CpuSplit | null;
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
  /** With --pin: how the CPUs were split, or why nothing was pinned. */
  pinning?: string;
  notes: string[];
}
