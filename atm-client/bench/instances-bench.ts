/**
 * `atm bench --ledger postgres://… --instances 1,2,3`: the full system (durable, audit on) with
 * its ledger on PostgreSQL and N bank-server instances sharing it, the connections spread evenly
 * over them; one row per N, measured like the SQLite rows (server CPU summed over the instances).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrolBenchTerminals } from './bench-bank.js';
import { mixWorkers, openMixSessions } from './bench-mix.js';
import type { BenchSession } from './bench-session.js';
import { drive, type LoadWindow } from './load-driver.js';
import {
  BANK_SERVER_PROGRAM,
  compiledProgram,
  removeOnEarlyExit,
  runProgram,
  type SpawnedListener,
  spawnListening,
} from './spawned-process.js';
import { mixSchedule } from './workload.js';

export interface InstancesRun {
  instances: number;
  connections: number;
  throughput: number;
  latencyMs: LoadWindow['latencyMs'];
  serverCpuPerRequestUs: number;
  errors: Record<string, number>;
}

export interface InstancesBenchOptions {
  ledgerUrl: string;
  instances: number[];
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** The same start options as the SQLite rows (limits a bench trips lifted). */
  bankArgs: readonly string[];
  log: (line: string) => void;
}

/** One row per instance count; each run uses fresh accounts (the database is shared by the runs). */
export async function runInstancesBench(options: InstancesBenchOptions): Promise<InstancesRun[]> {
  const rows: InstancesRun[] = [];
  for (const n of options.instances) {
    options.log(`full system on PostgreSQL, ${n} instance${n === 1 ? '' : 's'}, C=${options.connections} ...`);
    const row = await runOnce(options, n);
    options.log(`  ${row.throughput.toFixed(0)} req/s, p99 ${row.latencyMs.p99.toFixed(2)} ms`);
    rows.push(row);
  }
  return rows;
}

async function runOnce(options: InstancesBenchOptions, n: number): Promise<InstancesRun> {
  const program = compiledProgram(BANK_SERVER_PROGRAM);
  const root = await mkdtemp(join(tmpdir(), 'secure-atm-bench-instances-'));
  const keep = removeOnEarlyExit(root);
  const banks: SpawnedListener[] = [];
  let sessions: BenchSession[] = [];
  const tag = `p${n}${Date.now().toString(36)}`;
  try {
    // One bank: the first data dir made by init, the others by init --from it (its keys and CAs).
    const dirs = Array.from({ length: n }, (_, k) => join(root, `instance-${k + 1}`));
    await runProgram(program, ['init', '--data-dir', dirs[0] as string]);
    for (const dir of dirs.slice(1))
      await runProgram(program, ['init', '--from', dirs[0] as string, '--data-dir', dir]);
    const start = (k: number) =>
      spawnListening(program, [
        'start',
        '--data-dir',
        dirs[k] as string,
        '--ledger',
        options.ledgerUrl,
        '--instance-id',
        `bench-${k + 1}`,
        ...options.bankArgs,
        '--bcrypt-cost',
        '4',
        '--max-connections-per-address',
        String(Math.max(256, options.connections + 16)),
      ]);
    // The first start migrates the schema; the operator commands below need it.
    banks.push(await start(0));
    const terminals = await enrolBenchTerminals(dirs[0] as string, ['--ledger', options.ledgerUrl]);
    for (let k = 1; k < n; k++) banks.push(await start(k));
    const ca = await readFile(join(dirs[0] as string, 'tls', 'ca.crt'), 'utf8');
    const user = (i: number) => `${tag}-${String(i).padStart(4, '0')}`;
    sessions = await openMixSessions({
      connections: options.connections,
      ca,
      terminals,
      portOf: (i) => (banks[i % banks.length] as SpawnedListener).port,
      user,
    });
    const workers = mixWorkers(sessions, mixSchedule(), user);
    const window = await drive(workers, {
      serverPid: banks.map((b) => b.pid),
      warmupMs: options.warmupSec * 1000,
      durationMs: options.durationSec * 1000,
    });
    return {
      instances: n,
      connections: options.connections,
      throughput: window.requests / window.durationSec,
      latencyMs: window.latencyMs,
      serverCpuPerRequestUs: window.requests ? (window.serverCpuSeconds / window.requests) * 1e6 : Number.NaN,
      errors: window.errors,
    };
  } finally {
    for (const s of sessions) s.close();
    for (const bank of banks) {
      const code = await bank.stop();
      if (code !== 0) options.log(`warning: an instance exited with ${code} after the ${n}-instance run`);
    }
    await rm(root, { recursive: true, force: true });
    keep();
  }
}

/** The rows as a Markdown table, beside the SQLite full-system row at the same C. */
export function formatInstancesTable(
  rows: readonly InstancesRun[],
  sqlite: { throughput: number; p99: number; cpuUs: number } | null,
): string {
  const lines = [
    '| ledger | instances | C | req/s | p99 | server CPU per request (all instances) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const c = rows[0]?.connections ?? 0;
  if (sqlite) {
    lines.push(
      `| SQLite (embedded) | 1 | ${c} | ${sqlite.throughput.toFixed(0)} | ${sqlite.p99.toFixed(1)} ms | ${sqlite.cpuUs.toFixed(0)} µs |`,
    );
  }
  for (const r of rows) {
    const refused = Object.entries(r.errors)
      .map(([code, k]) => `${code}×${k}`)
      .join(', ');
    lines.push(
      `| PostgreSQL | ${r.instances} | ${r.connections} | ${r.throughput.toFixed(0)} | ${r.latencyMs.p99.toFixed(1)} ms | ${r.serverCpuPerRequestUs.toFixed(0)} µs |${refused ? ` refusals: ${refused}` : ''}`,
    );
  }
  return lines.join('\n');
}
