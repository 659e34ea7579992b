import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BANK_ARGS } from '../../bench/bench-bank.js';
import { formatBenchTable } from '../../bench/bench-report.js';
import { formatProfiles, runBench } from '../../bench/bench-runner.js';
import { formatInstancesTable, type InstancesRun, runInstancesBench } from '../../bench/instances-bench.js';
import type { AtmIo } from '../atm-io.js';
import { OperationFailed, UsageError } from '../cli-errors.js';

interface BenchFlags {
  duration: string;
  warmup: string;
  connections: string;
  json?: string;
  logins: string;
  auditOff: boolean;
  raw: boolean;
  floor: boolean;
  profile?: string;
  pin?: boolean;
  ledger?: string;
  instances: string;
}

function positive(text: string, what: string, max: number): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new UsageError(`${what} must be 1-${max}, not ${text}`);
  return Number(text);
}

function connectionList(text: string): number[] {
  const list = text.split(',').map((part) => positive(part.trim(), 'each --connections value', 2_000));
  if (list.length === 0) throw new UsageError('--connections needs at least one number');
  return list;
}

/**
 * `atm bench`: in one invocation, on this machine, with one load-client design, the raw TLS
 * 1.3 echo baseline and the full system (spawned `bank-server start`, durable commits, audit
 * on) for each C; the full system with audit off; logins per second at bcrypt cost 12. Prints
 * the table and writes JSON (--json, else tests/bench/results/). Needs `npm run build` (it spawns
 * the compiled programs).
 */
export function registerBenchCommand(program: Command, io: AtmIo): void {
  program
    .command('bench')
    .description(
      'benchmark: raw TLS echo baseline vs the full system (spawned bank-server) at C connections; prints a table and writes JSON',
    )
    .option('--duration <sec>', 'measured seconds per run', '10')
    .option('--warmup <sec>', 'warm-up seconds before each measurement', '2')
    .option('--connections <list>', 'comma-separated connection counts', '1,10,100')
    .option('--json <file>', 'write the results here (default: tests/bench/results/bench-<time>.json)')
    .option('--logins <n>', 'logins to time at bcrypt cost 12 (0 = skip)', '24')
    .option('--no-audit-off', 'skip the extra full-system run with --no-audit')
    .option('--no-raw', 'skip the raw TLS baseline (e.g. while profiling; no ratios then)')
    .option(
      '--no-floor',
      'skip the protocol floor runs (the protocol engine answering from memory, and with a journal fsync)',
    )
    .option('--profile <dir>', 'write V8 CPU profiles of the audited bank-server runs to <dir> and summarise them')
    .option(
      '--pin',
      'pin the load client to CPU 0 and the servers to the other CPUs with taskset (util-linux); without taskset nothing is pinned and the output says so',
    )
    .option(
      '--ledger <url>',
      'also run the full system on this PostgreSQL ledger (postgres://…) with --instances bank-server instances, at the largest C',
    )
    .option('--instances <list>', 'with --ledger: comma-separated instance counts', '1,2,3')
    .action(async (flags: BenchFlags) => {
      const durationSec = positive(flags.duration, '--duration', 3_600);
      const warmupSec = flags.warmup === '0' ? 0 : positive(flags.warmup, '--warmup', 600);
      const connections = connectionList(flags.connections);
      const loginCount = flags.logins === '0' ? 0 : positive(flags.logins, '--logins', 10_000);
      const profileDir = flags.profile === undefined ? null : resolve(flags.profile);
      if (profileDir) await mkdir(profileDir, { recursive: true });
      if (flags.ledger !== undefined && !/^postgres(ql)?:\/\//i.test(flags.ledger)) {
        throw new UsageError(`--ledger must be a postgres:// URL (the SQLite rows always run), not ${flags.ledger}`);
      }
      const instanceCounts = flags.instances
        .split(',')
        .map((part) => positive(part.trim(), 'each --instances value', 16));
      let results: Awaited<ReturnType<typeof runBench>>;
      let instanceRows: InstancesRun[] = [];
      try {
        results = await runBench({
          durationSec,
          warmupSec,
          connections,
          loginCount,
          auditOffRun: flags.auditOff,
          skipRaw: !flags.raw,
          floor: flags.floor,
          profileDir,
          pin: flags.pin === true,
          log: (line) => io.stderr(`${line}\n`),
        });
        if (flags.ledger !== undefined) {
          instanceRows = await runInstancesBench({
            ledgerUrl: flags.ledger,
            instances: instanceCounts,
            connections: Math.max(...connections),
            durationSec,
            warmupSec,
            bankArgs: BANK_ARGS,
            log: (line) => io.stderr(`${line}\n`),
          });
        }
      } catch (error) {
        io.stderr(`atm bench: ${error instanceof Error ? error.message : String(error)}\n`);
        throw new OperationFailed(1);
      }
      io.stdout(`${formatBenchTable(results)}\n`);
      if (profileDir) io.stdout(`\n${formatProfiles(results)}\n`);
      if (instanceRows.length > 0) {
        const sqlite = results.runs.find((r) => r.system === 'full' && r.connections === Math.max(...connections));
        io.stdout(
          `\n${formatInstancesTable(
            instanceRows,
            sqlite
              ? { throughput: sqlite.throughput, p99: sqlite.latencyMs.p99, cpuUs: sqlite.serverCpuPerRequestUs }
              : null,
          )}\n`,
        );
      }
      const jsonPath = resolve(
        flags.json ?? join('tests', 'bench', 'results', `bench-${results.startedAt.replace(/[:.]/g, '-')}.json`),
      );
      await mkdir(dirname(jsonPath), { recursive: true });
      await writeFile(jsonPath, `${JSON.stringify({ ...results, instances: instanceRows }, null, 2)}\n`);
      io.stdout(`results: ${jsonPath}\n`);
    });
}
