/** `atm bench` as one call: the runs in order, the report they fill in, and the CPU profiles they leave. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchContext, runFloor, runFull, runLogins, runRaw } from './bench-runs.js';
import type { BenchOptions, BenchResults, RunResult } from './bench-types.js';
import { pinBench } from './cpu-pinning.js';
import { formatProfileSummary, summarizeCpuProfile } from './cpu-profile.js';
import { fsyncSamples, timingOf } from './fsync-probe.js';
import {
  BANK_SERVER_PROGRAM,
  compiledProgram,
  removeOnEarlyExit,
  runProgram,
  setServerCpus,
} from './spawned-process.js';
import { MIX, mixSchedule, sealedFrameSizes } from './workload.js';

export type { BenchOptions, BenchResults, BenchSystem, LoginResult, RunResult } from './bench-types.js';

/**
 * `atm bench` in one invocation: for each C, the raw TLS echo baseline, the protocol floor (the
 * real protocol engine answering from memory, then with a journal fsync) and the full system
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
      floor: options.floor,
      profileDir: options.profileDir,
      pin: options.pin ?? false,
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
  if (options.pin) {
    results.pinning = pinBench().line;
    log(results.pinning);
  }
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
      if (options.floor) {
        for (const journal of [false, true]) {
          log(`protocol floor${journal ? ' + journal fsync' : ' (memory)'}, C=${c} ...`);
          const floor = await runFloor(ctx, c, journal);
          results.runs.push(floor);
          log(`  ${floor.throughput.toFixed(0)} req/s, p99 ${floor.latencyMs.p99.toFixed(2)} ms`);
        }
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
    setServerCpus(null);
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
