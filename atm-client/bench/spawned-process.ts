import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The compiled programs the bench spawns (processes, not imports: atm-client imports only
 * protocol/). Found relative to this file: next to it in dist/, or under dist/ when this file
 * runs from the source tree.
 */
export function compiledProgram(relativeToDist: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '..', '..', relativeToDist), // dist/atm-client/bench → dist/<path>
    resolve(here, '..', '..', 'dist', relativeToDist), // atm-client/bench → dist/<path>
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`${relativeToDist} is not built; run \`npm run build\` first`);
  return found;
}

export const BANK_SERVER_PROGRAM = join('server', 'cli', 'main.js');
export const RAW_ECHO_PROGRAM = join('atm-client', 'bench', 'raw-echo-server.js');
export const FLOOR_PROGRAM = join('atm-client', 'bench', 'floor-server.js');

/** Children still running and temp dirs still held: cleaned up if the bench exits early (an error, Ctrl-C). */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    const killAll = () => {
      for (const child of running) child.kill('SIGKILL');
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', killAll);
    // A bench stopped by a signal (Ctrl-C, a test runner's timeout) must not leave servers behind.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
    }
  }
}

function track(proc: ChildProcess): void {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  installExitHook();
}

/** Remove a temp dir if the bench exits before it does so itself; returns the undo. */
export function removeOnEarlyExit(dir: string): () => void {
  tempDirs.add(dir);
  installExitHook();
  return () => tempDirs.delete(dir);
}

/** Set by `atm bench --pin` (cpu-pinning.ts): every listener spawned after runs under `taskset -c <cpus>`. */
let serverCpus: string | null = null;

export function setServerCpus(cpus: string | null): void {
  serverCpus = cpus;
}

export interface SpawnedListener {
  proc: ChildProcess;
  pid: number;
  port: number;
  adminPort: number | null;
  /** Signal it and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Run `node [nodeArgs] <program> [args]` and wait for its JSON `{"msg":"listening","port":N}`
 * line (the bank's ready line; the echo server prints the same).
 */
export function spawnListening(
  program: string,
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; timeoutMs?: number; stdinPipe?: boolean } = {},
): Promise<SpawnedListener> {
  const argv = [...(options.nodeArgs ?? []), program, ...args];
  // taskset execs the program in its own process: the pid (for CPU and RSS) is node's.
  const proc = spawn(
    serverCpus ? 'taskset' : process.execPath,
    serverCpus ? ['-c', serverCpus, process.execPath, ...argv] : argv,
    {
      // A child that watches its stdin learns of our death even when we are SIGKILLed.
      stdio: [options.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    },
  );
  track(proc);
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    // Keep the tail only: a long run must not grow this without bound.
    stderr = (stderr + chunk.toString()).slice(-4_000);
    if (process.env.ATM_BENCH_SHOW_SERVER_STDERR) process.stderr.write(chunk);
  });
  return new Promise((resolveReady, reject) => {
    let buffer = '';
    let ready = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${program} did not start within ${options.timeoutMs ?? 60_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    // A program that cannot start at all (taskset gone from the PATH): an error, not a crash.
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${program} could not start: ${err.message}`));
    });
    void exited.then((code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${program} exited with ${code} before listening: ${stderr.trim()}`));
      }
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (ready) return; // the bank logs nothing per request; anything later is ignored
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let parsed: { msg?: unknown; port?: unknown; adminPort?: unknown };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          continue;
        }
        if (parsed !== null && parsed.msg === 'listening' && typeof parsed.port === 'number') {
          ready = true;
          clearTimeout(timer);
          resolveReady({
            proc,
            pid: proc.pid as number,
            port: parsed.port,
            adminPort: typeof parsed.adminPort === 'number' ? parsed.adminPort : null,
            async stop(signal: NodeJS.Signals = 'SIGTERM') {
              if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
              proc.kill(signal);
              const forced = setTimeout(() => proc.kill('SIGKILL'), 30_000);
              const code = await exited;
              clearTimeout(forced);
              return code;
            },
          });
          return;
        }
      }
    });
  });
}

/** Run a program to completion (e.g. `bank-server init`), failing on a non-zero exit. */
export function runProgram(program: string, args: readonly string[]): Promise<void> {
  return new Promise((resolveDone, reject) => {
    const proc = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    track(proc);
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.once('error', reject);
    proc.once('exit', (code) =>
      code === 0 ? resolveDone() : reject(new Error(`${program} ${args[0]} exited ${code}: ${stderr.trim()}`)),
    );
  });
}
