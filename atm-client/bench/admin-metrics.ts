import type { CpuSplit } from './proc-stats.js';

/** Sum of every sample of a Prometheus metric (all label sets) in exposition text. */
export function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/**
 * A server thread's CPU so far as /metrics reports it (`bank_thread_cpu_seconds_total`, read from
 * /proc by the server, which alone knows which thread is its ledger writer); null when absent.
 */
export function threadCpu(text: string, thread: string): CpuSplit | null {
  const mode = (m: string) => {
    const name = 'bank_thread_cpu_seconds_total{';
    const line = text
      .split('\n')
      .find((l) => l.startsWith(name) && l.includes(`thread="${thread}"`) && l.includes(`mode="${m}"`));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const user = mode('user');
  const system = mode('system');
  return Number.isFinite(user) && Number.isFinite(system) ? { user, system } : null;
}

/** The bank's /metrics (admin HTTP, 127.0.0.1 only); empty text when it cannot be read. */
export async function fetchMetrics(adminPort: number): Promise<string> {
  try {
    const response = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    return await response.text();
  } catch {
    return '';
  }
}

export interface BatchStats {
  batches: number;
  /** Mean jobs per group commit. */
  meanSize: number;
  /** Mean time one batch (transaction + fsync) takes, ms. */
  meanMs: number;
}

/** Group-commit statistics between two /metrics snapshots. */
export function batchStats(before: string, after: string): BatchStats {
  const delta = (name: string) => metricSum(after, name) - metricSum(before, name);
  const batches = delta('bank_ledger_batch_size_count');
  return {
    batches,
    meanSize: batches ? delta('bank_ledger_batch_size_sum') / batches : 0,
    meanMs: batches ? (delta('bank_ledger_batch_seconds_sum') / batches) * 1000 : 0,
  };
}
