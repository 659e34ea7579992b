import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface FsyncTiming {
  /** Where it was measured: the directory the bench's data dirs are made in. */
  dir: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * One commit's floor: append 4 KiB and fdatasync it, `samples` times, in the file system the
 * bank's ledger lives on during the bench. A durable commit cannot be faster than this.
 */
export function probeFsync(dir: string, samples = 200): FsyncTiming {
  return timingOf(dir, fsyncSamples(dir, samples));
}

/** Pooled samples of several probes (the bench probes right before and right after the C=1 run). */
export function timingOf(dir: string, samples: number[]): FsyncTiming {
  const times = [...samples].sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { dir, samples: times.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/**
 * The raw fdatasync times in ms. Synchronous, like SQLite's own call (no thread-pool hop in the
 * figure); it runs between bench runs, when the load client has nothing else to do.
 */
export function fsyncSamples(dir: string, samples = 200): number[] {
  const path = join(dir, `fsync-probe-${process.pid}`);
  const fd = openSync(path, 'w', 0o600);
  const page = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      writeSync(fd, page);
      const t0 = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return times;
}
