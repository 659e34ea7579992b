import { open, rm } from 'node:fs/promises';
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
export async function probeFsync(dir: string, samples = 200): Promise<FsyncTiming> {
  const path = join(dir, `fsync-probe-${process.pid}`);
  const file = await open(path, 'w', 0o600);
  const page = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      await file.write(page);
      const t0 = performance.now();
      await file.datasync();
      times.push(performance.now() - t0);
    }
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { dir, samples, p50Ms: at(0.5), p99Ms: at(0.99) };
}
