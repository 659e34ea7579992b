/**
 * CPU time of one thread of this process, from Linux's /proc: the main thread and the ledger
 * worker each use a core of their own, and the process total (what `ps` shows) cannot say which
 * of them is busy. A thread learns its own stat file (`/proc/thread-self`), and any thread can
 * read another's by that path. Elsewhere than Linux there is no such file: null, and no figure.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** USER_HZ: the unit of /proc's utime and stime (100 on every mainstream Linux kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ThreadCpu {
  userSeconds: number;
  systemSeconds: number;
}

/** The stat file of the thread that calls this (`/proc/<pid>/task/<tid>/stat`), or null off Linux. */
export function threadStatPath(): string | null {
  try {
    // A relative link: `<pid>/task/<tid>`.
    return `/proc/${readlinkSync('/proc/thread-self')}/stat`;
  } catch {
    return null;
  }
}

/** The thread's user and system CPU so far; null once the thread is gone (or off Linux). */
export function readThreadCpu(statPath: string): ThreadCpu | null {
  let stat: string;
  try {
    stat = readFileSync(statPath, 'utf8');
  } catch {
    return null;
  }
  // The thread name (field 2) may hold spaces and parentheses; the fields after its last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { userSeconds: utime / CLOCK_TICKS_PER_SECOND, systemSeconds: stime / CLOCK_TICKS_PER_SECOND };
}
