import type { BenchResults, RunResult } from './bench-runner.js';

/** The issue's target: full/raw ≥ 0.30 at C=100 with p99 ≤ 30 ms. */
export const TARGET = { connections: 100, ratio: 0.3, p99Ms: 30 };
/** Server CPU per request at most this many times the echo server's per round trip (same C). */
export const CPU_TARGET = 4;
/** Audit on may cost at most this share of throughput. */
export const AUDIT_TARGET = 0.1;
/** At C=10, p99 at most this. */
export const C10_P99_MS = 10;
/** At C=1, p50 at most this many fsyncs. */
export const C1_FSYNCS = 1.5;

const SYSTEM_NAMES: Record<RunResult['system'], string> = {
  raw: 'raw TLS echo',
  floor: 'protocol floor',
  'floor-journal': 'floor + fsync',
  full: 'full (audit on)',
  'full-no-audit': 'full (audit off)',
};

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/**
 * Two runs of the same system on a shared machine differ by a few percent, so a smaller
 * difference between audit on and off (either way) is not a cost that was measured.
 */
export const AUDIT_NOISE = 0.03;

/** The audit line, always there: the cost, "within noise", or that it was not measured. */
export function auditLine(overhead: BenchResults['auditOverhead']): string {
  if (overhead === null) return 'audit overhead: not measured (--no-audit-off skipped the run with audit off)';
  const a = overhead;
  const measured = `${f(a.withAudit, 0)} req/s with audit, ${f(a.withoutAudit, 0)} without`;
  const verdict =
    Number.isFinite(a.cost) && a.cost > AUDIT_NOISE
      ? `audit costs ${f(a.cost * 100)}% of throughput`
      : `the difference is within noise (${f(a.cost * 100)}%; runs differ by about ${f(AUDIT_NOISE * 100, 0)}%)`;
  return `audit overhead at C=${a.connections}: ${measured}: ${verdict}`;
}

/** The bench results as the table `atm bench` prints (and the README quotes). */
export function formatBenchTable(results: BenchResults): string {
  const { machine, options } = results;
  const header = [
    'system',
    'C',
    'req/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'srv CPU µs/req',
    'srv CPU %',
    'srv RSS MiB',
    'client CPU %',
  ];
  const rows = results.runs.map((r) => [
    SYSTEM_NAMES[r.system],
    String(r.connections),
    f(r.throughput, 0),
    f(r.latencyMs.p50, 2),
    f(r.latencyMs.p99, 2),
    f(r.latencyMs.p999, 2),
    f(r.serverCpuPerRequestUs, 0),
    f(r.serverCpuUtilization * 100, 0),
    f(r.serverRssBytes / 1024 / 1024, 0),
    f(r.clientCpu * 100, 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const mix = Object.entries(results.mix)
    .map(([op, share]) => `${share}% ${op}`)
    .join(' / ');
  const sizes = Object.keys(results.frameSizes.request)
    .map((op) => {
      const key = op as keyof typeof results.frameSizes.request;
      return `${op} ${results.frameSizes.request[key]}/${results.frameSizes.response[key]}`;
    })
    .join(', ');
  const lines = [
    `secure-atm bench, ${results.startedAt}: ${machine.cpus}× ${machine.model}, node ${machine.node}, ${machine.platform}`,
    `${options.durationSec} s measured per run after ${options.warmupSec} s warm-up; strict request/response per connection; one load-client process`,
    `mix: ${mix}; sealed payload bytes request/response: ${sizes}`,
    ...(results.pinning ? [results.pinning] : []),
    '',
    pad(header, widths),
    pad(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((row) => pad(row, widths)),
    '',
    `ratio full/raw: ${results.ratios.map((r) => `C=${r.connections} ${r.ratio.toFixed(3)}`).join(', ')}`,
  ];
  const atTarget = results.runs.find((r) => r.system === 'full' && r.connections === TARGET.connections);
  const ratio = results.ratios.find((r) => r.connections === TARGET.connections);
  if (atTarget && ratio) {
    const met = ratio.ratio >= TARGET.ratio && atTarget.latencyMs.p99 <= TARGET.p99Ms;
    lines.push(
      `target (ratio ≥ ${TARGET.ratio} at C=${TARGET.connections} with p99 ≤ ${TARGET.p99Ms} ms): ${met ? 'MET' : 'NOT MET'} (ratio ${ratio.ratio.toFixed(3)}, p99 ${atTarget.latencyMs.p99.toFixed(1)} ms)`,
    );
  }
  lines.push(...ladderLines(results));
  lines.push(...threadLines(results));
  lines.push(...targetLines(results));
  lines.push(auditLine(results.auditOverhead));
  for (const r of results.runs) {
    if (r.batches && r.batches.batches > 0) {
      lines.push(
        `group commit, ${SYSTEM_NAMES[r.system]} C=${r.connections}: ${f(r.batches.batches / r.durationSec, 0)} commits/s, ${f(r.batches.meanSize)} mutations per commit, ${f(r.batches.meanMs, 2)} ms per commit`,
      );
    }
  }
  if (results.logins) {
    const l = results.logins;
    lines.push(
      `logins at bcrypt cost ${l.bcryptCost}: ${f(l.perSecond, 2)} logins/s (${l.logins} logins, ${l.concurrency} at a time, ${f(l.seconds)} s; server CPU ${f(l.serverCpuPerLoginMs, 0)} ms per login)`,
    );
  }
  for (const note of results.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

const verdict = (met: boolean) => (met ? 'MET' : 'NOT MET');

/** The other targets, each with the figures it was judged on (absent runs are skipped). */
export function targetLines(results: BenchResults): string[] {
  const lines: string[] = [];
  const run = (system: RunResult['system'], c: number) =>
    results.runs.find((r) => r.system === system && r.connections === c);
  const rawAt = run('raw', TARGET.connections);
  const fullAt = run('full', TARGET.connections);
  if (rawAt && fullAt) {
    const bound = rawAt.serverCpuPerRequestUs * CPU_TARGET;
    lines.push(
      `target (server CPU per request ≤ ${CPU_TARGET}× the echo's at C=${TARGET.connections}): ${verdict(fullAt.serverCpuPerRequestUs <= bound)} (${f(fullAt.serverCpuPerRequestUs, 0)} µs vs ${CPU_TARGET} × ${f(rawAt.serverCpuPerRequestUs, 0)} = ${f(bound, 0)} µs)`,
    );
  }
  const c10 = run('full', 10);
  if (c10) {
    lines.push(
      `target (p99 ≤ ${C10_P99_MS} ms at C=10): ${verdict(c10.latencyMs.p99 <= C10_P99_MS)} (p99 ${f(c10.latencyMs.p99, 2)} ms)`,
    );
  }
  const fsync = results.fsync;
  if (fsync) {
    const c1 = run('full', 1);
    const fsyncText = `one fsync (4 KiB write + fdatasync in ${fsync.dir}): p50 ${f(fsync.p50Ms, 3)} ms, p99 ${f(fsync.p99Ms, 3)} ms`;
    if (c1) {
      const times = c1.latencyMs.p50 / fsync.p50Ms;
      // A commit at C=1 includes one fsync: a probe slower than a whole commit met a busy disk.
      const commitMs = c1.batches?.meanMs;
      const disturbed = commitMs !== undefined && Number.isFinite(commitMs) && fsync.p50Ms > commitMs;
      lines.push(
        disturbed
          ? `target (p50 at C=1 ≤ ${C1_FSYNCS}× one fsync): NOT JUDGED (the probe met a busy disk: its fsync took longer than a whole commit at C=1, ${f(commitMs, 2)} ms; p50 ${f(c1.latencyMs.p50, 2)} ms, ${fsyncText})`
          : `target (p50 at C=1 ≤ ${C1_FSYNCS}× one fsync): ${verdict(times <= C1_FSYNCS)} (p50 ${f(c1.latencyMs.p50, 2)} ms = ${f(times)}× ${fsyncText})`,
      );
    } else lines.push(fsyncText);
  }
  const a = results.auditOverhead;
  if (a && Number.isFinite(a.cost)) {
    lines.push(
      `target (audit on costs ≤ ${f(AUDIT_TARGET * 100, 0)}% of throughput): ${verdict(a.cost <= AUDIT_TARGET)}`,
    );
  }
  return lines;
}

/**
 * Server CPU per request from the echo up to the full system, at each C that has a floor run:
 * what the protocol itself costs (floor), what durability with group commit adds to it (floor +
 * fsync), and what the bank's ledger and audit add on top.
 */
export function ladderLines(results: BenchResults): string[] {
  const lines: string[] = [];
  const order: RunResult['system'][] = ['raw', 'floor', 'floor-journal', 'full-no-audit', 'full'];
  for (const c of new Set(results.runs.filter((r) => r.system === 'floor').map((r) => r.connections))) {
    const steps = order
      .map((system) => results.runs.find((r) => r.system === system && r.connections === c))
      .filter((r): r is RunResult => r !== undefined)
      .map((r) => `${SYSTEM_NAMES[r.system]} ${f(r.serverCpuPerRequestUs, 0)}`);
    lines.push(`server CPU µs per request, C=${c}: ${steps.join(' → ')}`);
  }
  const journal = results.runs.find((r) => r.system === 'floor-journal' && r.connections === 1);
  if (journal && results.fsync) {
    const times = journal.latencyMs.p50 / results.fsync.p50Ms;
    lines.push(
      `floor + fsync at C=1: p50 ${f(journal.latencyMs.p50, 2)} ms = ${f(times)}× one fsync (a durable answer with no ledger or audit work at all)`,
    );
  }
  return lines;
}

/**
 * Where each server's CPU went at the target C (or the largest measured), per request, by thread:
 * the main thread (TLS, the protocol, the session, audit), the bank's ledger writer thread, and the
 * other threads (V8's GC helpers, libuv's pool, the bcrypt workers); in brackets the part spent in
 * the kernel (system calls, the loopback network stack, fsync, page faults). Read from /proc, so
 * without a profiler's overhead.
 */
export function threadLines(results: BenchResults): string[] {
  const sizes = results.runs.map((r) => r.connections);
  const c = sizes.includes(TARGET.connections) ? TARGET.connections : Math.max(...sizes);
  const runs = results.runs.filter((r) => r.connections === c && r.serverCpuSplit && r.requests > 0);
  if (runs.length === 0) return [];
  const lines = [`server CPU by thread at C=${c}, µs per request (in brackets: of it in the kernel):`];
  for (const r of runs) {
    const split = r.serverCpuSplit;
    if (!split) continue;
    const us = (x: number) => f((x / r.requests) * 1e6, 0);
    const ledger = r.ledgerThreadCpu ?? { user: 0, system: 0 };
    const other = {
      user: split.process.user - split.main.user - ledger.user,
      system: split.process.system - split.main.system - ledger.system,
    };
    const part = (name: string, x: { user: number; system: number }) =>
      `${name} ${us(x.user + x.system)} (${us(x.system)})`;
    const parts = [part('main', split.main)];
    if (r.ledgerThreadCpu) parts.push(part('ledger writer', r.ledgerThreadCpu));
    parts.push(part('other threads', other));
    lines.push(
      `  ${SYSTEM_NAMES[r.system].padEnd(17)} ${parts.join(' + ')} = ${us(split.process.user + split.process.system)}`,
    );
  }
  return lines;
}
