import { describe, expect, it } from 'vitest';
import { ladderLines, targetLines, threadLines } from '../../atm-client/bench/bench-report.js';
import type { BenchResults, RunResult } from '../../atm-client/bench/bench-runner.js';

function run(system: RunResult['system'], connections: number, cpuUs: number, p50: number, p99: number): RunResult {
  return {
    system,
    connections,
    serverCpuPerRequestUs: cpuUs,
    latencyMs: { p50, p99, p999: p99 },
  } as unknown as RunResult;
}

function results(runs: RunResult[], extra: Partial<BenchResults> = {}): BenchResults {
  return { runs, fsync: null, auditOverhead: null, ...extra } as unknown as BenchResults;
}

describe('the bench target lines', () => {
  it('judges server CPU per request against 4× the echo at C=100, with the figures', () => {
    const met = targetLines(results([run('raw', 100, 15, 1, 5), run('full', 100, 60, 10, 20)]));
    expect(met).toEqual(["target (server CPU per request ≤ 4× the echo's at C=100): MET (60 µs vs 4 × 15 = 60 µs)"]);
    const missed = targetLines(results([run('raw', 100, 15, 1, 5), run('full', 100, 180, 10, 20)]));
    expect(missed[0]).toContain('NOT MET (180 µs vs 4 × 15 = 60 µs)');
  });

  it('prints the fsync time beside the C=1 p50 and judges 1.5×', () => {
    const fsync = { dir: '/tmp', samples: 200, p50Ms: 0.4, p99Ms: 0.9 };
    const [line] = targetLines(results([run('full', 1, 900, 0.8, 2)], { fsync }));
    expect(line).toBe(
      'target (p50 at C=1 ≤ 1.5× one fsync): NOT MET (p50 0.80 ms = 2.0× one fsync (4 KiB write + fdatasync in /tmp): p50 0.400 ms, p99 0.900 ms)',
    );
    expect(targetLines(results([run('full', 1, 900, 0.5, 2)], { fsync }))[0]).toContain(': MET (');
  });

  it('does not judge C=1 when the probe took longer than a whole commit there (a busy disk)', () => {
    const fsync = { dir: '/tmp', samples: 400, p50Ms: 3.5, p99Ms: 9 };
    const c1 = { ...run('full', 1, 900, 0.8, 2), batches: { batches: 900, meanSize: 1, meanMs: 0.4 } } as RunResult;
    const [line] = targetLines(results([c1], { fsync }));
    expect(line).toContain('NOT JUDGED (the probe met a busy disk');
    expect(line).not.toContain(': MET');
  });

  it('judges the C=10 p99 and the audit cost', () => {
    const lines = targetLines(
      results([run('full', 10, 300, 3, 12)], {
        auditOverhead: { connections: 100, withAudit: 950, withoutAudit: 1000, cost: 0.05 },
      }),
    );
    expect(lines).toEqual([
      'target (p99 ≤ 10 ms at C=10): NOT MET (p99 12.00 ms)',
      'target (audit on costs ≤ 10% of throughput): MET',
    ]);
  });
});

describe('the bench cost ladder', () => {
  it('lists server CPU per request from the echo to the full system at each C with a floor run', () => {
    const runs = [
      run('raw', 100, 15, 1, 5),
      run('floor', 100, 50, 2, 6),
      run('floor-journal', 100, 52, 2, 7),
      run('full-no-audit', 100, 150, 9, 19),
      run('full', 100, 180, 10, 20),
      run('raw', 10, 20, 1, 2),
      run('full', 10, 200, 3, 5),
    ];
    expect(ladderLines(results(runs))).toEqual([
      'server CPU µs per request, C=100: raw TLS echo 15 → protocol floor 50 → floor + fsync 52 → full (audit off) 150 → full (audit on) 180',
    ]);
  });

  it('puts the floor + fsync C=1 p50 beside one fsync', () => {
    const fsync = { dir: '/tmp', samples: 200, p50Ms: 0.2, p99Ms: 0.5 };
    const lines = ladderLines(
      results([run('floor', 1, 100, 0.25, 1), run('floor-journal', 1, 200, 0.5, 2)], { fsync }),
    );
    expect(lines).toEqual([
      'server CPU µs per request, C=1: protocol floor 100 → floor + fsync 200',
      'floor + fsync at C=1: p50 0.50 ms = 2.5× one fsync (a durable answer with no ledger or audit work at all)',
    ]);
  });
});

describe('the bench CPU by thread', () => {
  const split = (user: number, system: number) => ({ user, system });
  it('splits each server at C=100 into main, ledger writer and other threads, per request, kernel part in brackets', () => {
    const floor = {
      ...run('floor', 100, 60, 2, 6),
      requests: 100_000,
      serverCpuSplit: { process: split(4.6, 1.4), main: split(4.4, 1.4) },
      ledgerThreadCpu: null,
    } as RunResult;
    const full = {
      ...run('full', 100, 250, 20, 50),
      requests: 40_000,
      serverCpuSplit: { process: split(8.4, 2), main: split(5.2, 0.8) },
      ledgerThreadCpu: split(2.4, 1),
    } as RunResult;
    const echoAt10 = {
      ...run('raw', 10, 14, 1, 2),
      requests: 10,
      serverCpuSplit: { process: split(1, 0), main: split(1, 0) },
    };
    expect(threadLines(results([echoAt10 as RunResult, floor, full]))).toEqual([
      'server CPU by thread at C=100, µs per request (in brackets: of it in the kernel):',
      '  protocol floor    main 58 (14) + other threads 2 (0) = 60',
      '  full (audit on)   main 150 (20) + ledger writer 85 (25) + other threads 25 (5) = 260',
    ]);
  });

  it('prints nothing when no run has a single server process to read', () => {
    expect(
      threadLines(results([{ ...run('full', 100, 250, 20, 50), requests: 5, serverCpuSplit: null } as RunResult])),
    ).toEqual([]);
  });
});
