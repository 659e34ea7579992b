import { readFileSync } from 'node:fs';

/** Linux clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds in user space and in the kernel (system calls, page faults, network stack). */
export interface CpuSplit {
  user: number;
  system: number;
}

/** utime and stime of a /proc stat file: a whole process (`/proc/<pid>/stat`) or one of its threads. */
function cpuOfStat(path: string): CpuSplit {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS_PER_SECOND, system: Number(fields[12]) / CLOCK_TICKS_PER_SECOND };
}

/** user + system CPU seconds a process (all its threads) has used, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const cpu = cpuOfStat(`/proc/${pid}/stat`);
  return cpu.user + cpu.system;
}

/** A process's CPU split into user and system, all threads. */
export function processCpuSplit(pid: number): CpuSplit {
  return cpuOfStat(`/proc/${pid}/stat`);
}

/** The CPU of a process's main thread alone (its thread id is the pid). */
export function mainThreadCpuSplit(pid: number): CpuSplit {
  return cpuOfStat(`/proc/${pid}/task/${pid}/stat`);
}

/** Resident set size in bytes (VmRSS from /proc/<pid>/status). */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}
