import { describe, expect, it } from 'vitest';
import { batchStats, metricSum, threadCpu } from '../../atm-client/bench/admin-metrics.js';
import { moduleOf } from '../../atm-client/bench/cpu-profile.js';
import { LatencyRecorder } from '../../atm-client/bench/latency-recorder.js';
import {
  mainThreadCpuSplit,
  processCpuSeconds,
  processCpuSplit,
  processRssBytes,
} from '../../atm-client/bench/proc-stats.js';
import { MIX, mixSchedule, rawRequestFrame, sealedFrameSizes } from '../../atm-client/bench/workload.js';

// Unit tests of the `atm bench` tool's pure parts (fast, no timing); the benchmark itself runs
// only through `npm run bench` and, as a smoke test, in bench-cli.slow.test.ts.
describe('atm bench: the tool', () => {
  it('reports nearest-rank percentiles, growing past its preallocation', () => {
    const recorder = new LatencyRecorder();
    for (let i = 200_000; i >= 1; i--) recorder.record(i / 1000);
    expect(recorder.count).toBe(200_000);
    expect(recorder.percentiles([50, 99, 99.9, 100])).toEqual([100, 198, 199.8, 200]);
    expect(new LatencyRecorder().percentiles([50])[0]).toBeNaN();
  });

  it('the op schedule holds the mix shares exactly', () => {
    const schedule = mixSchedule();
    expect(schedule).toHaveLength(100);
    for (const [op, share] of Object.entries(MIX)) expect(schedule.filter((o) => o === op)).toHaveLength(share);
    expect(mixSchedule()).toEqual(schedule);
  });

  it('the raw baseline carries the sealed sizes and asks for the response size', () => {
    const sizes = sealedFrameSizes();
    for (const op of Object.keys(MIX) as Array<keyof typeof MIX>) {
      expect(sizes.request[op]).toBeGreaterThan(100);
      const frame = rawRequestFrame(op, sizes);
      expect(frame.readUInt32BE(0)).toBe(sizes.request[op]);
      expect(frame.readUInt32BE(4)).toBe(sizes.response[op]);
    }
  });

  it('sums Prometheus samples across label sets and derives group-commit stats', () => {
    const before =
      'bank_ledger_batch_size_sum 100\nbank_ledger_batch_size_count 10\nbank_ledger_batch_seconds_sum 0.5\n';
    const after = [
      '# HELP bank_ledger_batch_size_sum ignored',
      'bank_ledger_batch_size_bucket{le="1"} 999',
      'bank_ledger_batch_size_sum 400',
      'bank_ledger_batch_size_count 20',
      'bank_ledger_batch_seconds_sum 1.5',
    ].join('\n');
    expect(metricSum('a{x="1"} 2\na{x="2"} 3\nab 7\n', 'a')).toBe(5);
    expect(batchStats(before, after)).toEqual({ batches: 10, meanSize: 30, meanMs: 100 });
  });

  it("reads a thread's user and system CPU from the bank's /metrics, whatever other labels it has", () => {
    const text = [
      '# TYPE bank_thread_cpu_seconds_total counter',
      'bank_thread_cpu_seconds_total{thread="main",mode="user"} 9.5',
      'bank_thread_cpu_seconds_total{instance="b",thread="ledger",mode="user"} 3.25',
      'bank_thread_cpu_seconds_total{instance="b",thread="ledger",mode="system"} 0.75',
    ].join('\n');
    expect(threadCpu(text, 'ledger')).toEqual({ user: 3.25, system: 0.75 });
    // A thread with only one of its two modes, or none, is not a figure.
    expect(threadCpu(text, 'main')).toBeNull();
    expect(threadCpu('', 'ledger')).toBeNull();
  });

  it('names profile frames by our dist path, package or node module', () => {
    expect(moduleOf({ functionName: 'x', url: 'file:///r/dist/server/ledger/ledger-store.js', lineNumber: 1 })).toBe(
      'server/ledger/ledger-store.js',
    );
    expect(moduleOf({ functionName: 'x', url: 'file:///r/node_modules/tweetnacl/nacl-fast.js', lineNumber: 1 })).toBe(
      'tweetnacl',
    );
    expect(moduleOf({ functionName: 'x', url: 'node:internal/tls/wrap', lineNumber: 1 })).toBe(
      'node:internal/tls/wrap',
    );
    expect(moduleOf({ functionName: '(garbage collector)', url: '', lineNumber: -1 })).toBe('(garbage collector)');
    expect(moduleOf({ functionName: 'writeBuffer', url: '', lineNumber: -1 })).toBe('(native) writeBuffer');
  });

  it('reads CPU time and RSS of a process from /proc', () => {
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(0);
    const whole = processCpuSplit(process.pid);
    const main = mainThreadCpuSplit(process.pid);
    expect(whole.user + whole.system).toBeCloseTo(processCpuSeconds(process.pid), 1);
    // The main thread is one of the process's threads: never more than the whole.
    expect(main.user).toBeGreaterThan(0);
    expect(main.user).toBeLessThanOrEqual(whole.user);
    expect(main.system).toBeLessThanOrEqual(whole.system);
    expect(processRssBytes(process.pid)).toBeGreaterThan(1024 * 1024);
  });
});
