import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyRecorder } from './latency-recorder.js';
import {
  type CpuSplit,
  mainThreadCpuSplit,
  processCpuSeconds,
  processCpuSplit,
  processRssBytes,
} from './proc-stats.js';

/** One connection of the load client: performs one strict request/response; null = success, else an error code. */
export interface LoadWorker {
  step(): Promise<string | null>;
  /** Bytes written and read on the connection so far (frame headers included, TLS excluded). */
  bytes(): { out: number; in: number };
}

export interface LoadWindow {
  requests: number;
  errors: Record<string, number>;
  durationSec: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  serverCpuSeconds: number;
  /**
   * One server process only: its CPU over the window split into user and system, and its main
   * thread's share (the rest is other threads: a ledger worker, V8's GC helpers, libuv's pool).
   */
  serverCpuSplit: { process: CpuSplit; main: CpuSplit } | null;
  serverRssBytes: number;
  /** Fraction of one core the load client itself used during the window. */
  clientCpu: number;
  bytesPerRequest: { out: number; in: number };
  /** Wall-clock bounds of the measured window (performance.now()), for probes run alongside. */
  wall: { start: number; end: number };
}

export interface DriveOptions {
  /** The server's process, or every process of a bank of several instances (CPU and RSS are summed). */
  serverPid: number | readonly number[];
  warmupMs: number;
  durationMs: number;
  /** Called at the start and the end of the measured window (e.g. to read server metrics). */
  onWindow?: (edge: 'start' | 'end') => Promise<void>;
}

function sumOver(pids: number | readonly number[], read: (pid: number) => number): number {
  return (typeof pids === 'number' ? [pids] : pids).reduce((sum, pid) => sum + read(pid), 0);
}

function minus(a: CpuSplit, b: CpuSplit): CpuSplit {
  return { user: a.user - b.user, system: a.system - b.system };
}

function totalBytes(workers: readonly LoadWorker[]): { out: number; in: number } {
  let out = 0;
  let inn = 0;
  for (const w of workers) {
    const b = w.bytes();
    out += b.out;
    inn += b.in;
  }
  return { out, in: inn };
}

/**
 * Runs every worker in a closed loop (strict request/response per connection) for warmup +
 * duration, recording what starts and finishes inside the measured window: latencies, errors,
 * the server's CPU (from /proc) and RSS, and the load client's own CPU.
 */
export async function drive(workers: readonly LoadWorker[], options: DriveOptions): Promise<LoadWindow> {
  const recorder = new LatencyRecorder();
  const errors: Record<string, number> = {};
  const t0 = performance.now();
  const measureFrom = t0 + options.warmupMs;
  const endAt = measureFrom + options.durationMs;
  let cpuStart = 0;
  let clientStart = process.cpuUsage();
  let bytesStart = { out: 0, in: 0 };
  const window = { start: 0, end: 0 };
  let cpuEnd = 0;
  const single = typeof options.serverPid === 'number' ? options.serverPid : null;
  type Split = { process: CpuSplit; main: CpuSplit } | null;
  const split = (): Split =>
    single === null ? null : { process: processCpuSplit(single), main: mainThreadCpuSplit(single) };
  // Set in the window's edges below (TypeScript cannot see that they run before the return).
  let splitStart = null as Split;
  let splitEnd = null as Split;
  let rss = 0;
  let clientEnd = clientStart;
  let bytesEnd = bytesStart;

  const edges = (async () => {
    await sleep(options.warmupMs);
    window.start = performance.now();
    cpuStart = sumOver(options.serverPid, processCpuSeconds);
    splitStart = split();
    clientStart = process.cpuUsage();
    bytesStart = totalBytes(workers);
    await options.onWindow?.('start');
    await sleep(Math.max(0, endAt - performance.now()));
    window.end = performance.now();
    cpuEnd = sumOver(options.serverPid, processCpuSeconds);
    splitEnd = split();
    rss = sumOver(options.serverPid, processRssBytes);
    clientEnd = process.cpuUsage(clientStart);
    bytesEnd = totalBytes(workers);
    await options.onWindow?.('end');
  })();

  await Promise.all(
    workers.map(async (worker) => {
      for (;;) {
        const started = performance.now();
        if (started >= endAt) return;
        const code = await worker.step();
        const ended = performance.now();
        if (started >= measureFrom && ended <= endAt) {
          recorder.record(ended - started);
          if (code !== null) errors[code] = (errors[code] ?? 0) + 1;
        }
      }
    }),
  );
  await edges;

  const wallSec = (window.end - window.start) / 1000;
  const [p50, p99, p999, max] = recorder.percentiles([50, 99, 99.9, 100]) as [number, number, number, number];
  const requests = recorder.count;
  return {
    requests,
    errors,
    durationSec: options.durationMs / 1000,
    latencyMs: { p50, p99, p999, max },
    serverCpuSeconds: cpuEnd - cpuStart,
    serverCpuSplit:
      splitStart && splitEnd
        ? { process: minus(splitEnd.process, splitStart.process), main: minus(splitEnd.main, splitStart.main) }
        : null,
    serverRssBytes: rss,
    clientCpu: (clientEnd.user + clientEnd.system) / 1e6 / wallSec,
    bytesPerRequest: {
      out: requests ? (bytesEnd.out - bytesStart.out) / requests : 0,
      in: requests ? (bytesEnd.in - bytesStart.in) / requests : 0,
    },
    wall: window,
  };
}
