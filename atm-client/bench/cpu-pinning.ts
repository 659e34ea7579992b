/**
 * `atm bench --pin`: the load client on one CPU, the servers it spawns on the others, with
 * taskset (util-linux), so neither steals the other's core and both CPU figures are cleaner.
 * Without taskset (or with one CPU) nothing is pinned and the bench says so.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setServerCpus } from './spawned-process.js';

export interface Pinning {
  /** The CPU list the load client (this process) runs on, in taskset's syntax. */
  client: string;
  /** The CPU list every spawned server runs on. */
  servers: string;
}

function tasksetWorks(): boolean {
  const probe = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** Pin this process (every thread of it) and every server spawned from now on; the line to print says how. */
export function pinBench(): { pinning: Pinning | null; line: string } {
  if (!tasksetWorks()) return { pinning: null, line: 'CPU pinning: taskset (util-linux) not found, nothing pinned' };
  const n = availableParallelism();
  if (n < 2) return { pinning: null, line: `CPU pinning: ${n} CPU, nothing to pin apart` };
  const pinning = { client: '0', servers: n === 2 ? '1' : `1-${n - 1}` };
  const self = spawnSync('taskset', ['-a', '-c', '-p', pinning.client, String(process.pid)], { stdio: 'ignore' });
  if (self.error !== undefined || self.status !== 0) {
    return { pinning: null, line: 'CPU pinning: taskset could not pin the load client, nothing pinned' };
  }
  setServerCpus(pinning.servers);
  return {
    pinning,
    line: `CPU pinning (taskset): load client on CPU ${pinning.client}, servers on CPU ${pinning.servers} (the bank's main thread and ledger worker share ${n === 2 ? 'that core' : 'those cores'})`,
  };
}
