import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pinBench } from '../../atm-client/bench/cpu-pinning.js';
import { setServerCpus, spawnListening } from '../../atm-client/bench/spawned-process.js';

const dirs: string[] = [];
afterEach(() => {
  setServerCpus(null);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in listener: prints the bench's ready line and waits to be stopped. */
function fakeListener(): string {
  const dir = mkdtempSync(join(tmpdir(), 'secure-atm-pin-'));
  dirs.push(dir);
  const path = join(dir, 'listener.mjs');
  writeFileSync(path, `console.log(JSON.stringify({ msg: 'listening', port: 1 }));\nsetInterval(() => {}, 1000);\n`);
  return path;
}

function allowedCpus(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? '';
}

const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

describe('atm bench --pin', () => {
  it('a server spawned after setServerCpus runs on those CPUs only, as node under its own pid', async () => {
    if (!hasTaskset) {
      // A machine without util-linux: --pin must leave everything unpinned (and say so).
      expect(pinBench().pinning).toBeNull();
      return;
    }
    setServerCpus('0');
    const listener = await spawnListening(fakeListener(), []);
    try {
      expect(allowedCpus(listener.pid)).toBe('0');
      expect(readFileSync(`/proc/${listener.pid}/cmdline`, 'utf8').split('\0')[0]).toBe(process.execPath);
    } finally {
      await listener.stop();
    }
  });

  it('without setServerCpus a server is not pinned', async () => {
    const listener = await spawnListening(fakeListener(), []);
    try {
      expect(allowedCpus(listener.pid)).toBe(allowedCpus(process.pid));
    } finally {
      await listener.stop();
    }
  });

  it('without taskset on the PATH nothing is pinned and the line says so', () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'secure-atm-nopath-'));
    dirs.push(process.env.PATH);
    try {
      const before = allowedCpus(process.pid);
      const { pinning, line } = pinBench();
      expect(pinning).toBeNull();
      expect(line).toBe('CPU pinning: taskset (util-linux) not found, nothing pinned');
      expect(allowedCpus(process.pid)).toBe(before);
    } finally {
      process.env.PATH = path;
    }
  });

  it('a listener that cannot start at all is an error, not a crash of the bench', async () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'secure-atm-nopath-'));
    dirs.push(process.env.PATH);
    setServerCpus('0');
    try {
      await expect(spawnListening(fakeListener(), [])).rejects.toThrow(/could not start/);
    } finally {
      process.env.PATH = path;
    }
  });
});
