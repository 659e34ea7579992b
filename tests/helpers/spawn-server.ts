import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { enrolTestTerminal, type TestTerminal } from './test-terminal.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = {
  bankServer: join(REPO_ROOT, 'dist', 'server', 'cli', 'main.js'),
  atm: join(REPO_ROOT, 'dist', 'atm-client', 'cli', 'main.js'),
  bankAudit: join(REPO_ROOT, 'dist', 'audit', 'cli', 'main.js'),
};

export interface SpawnedServer {
  proc: ChildProcess;
  port: number;
  adminPort: number;
  dataDir: string;
  caPath: string;
  /** An enrolled terminal (ATM-TEST-1, loaded with ample cash): present its cert/key to move cash. */
  terminal: TestTerminal;
  stdout: string[];
  stderr: string[];
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stop (SIGKILL unless told) and delete the data dir if this helper made it. */
  dispose(signal?: NodeJS.Signals): Promise<void>;
}

/** Temp data dirs made here; whatever a test did not dispose of goes when the test process exits. */
const madeDirs = new Set<string>();
const liveProcs = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of liveProcs) proc.kill('SIGKILL');
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir for a test's data dir, removed when the test process exits (or by removeTempDir). */
export async function makeTempDir(prefix = 'secure-atm-proc-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  madeDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  madeDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Run the compiled `bank-server start` as its own process and wait for its "listening" line. */
export async function spawnBankServer(
  extraArgs: string[] = [],
  dataDir?: string,
  /** A terminal enrolled elsewhere (a PostgreSQL ledger): used instead of enrolling ATM-TEST-1 in the data dir. */
  options: { terminal?: TestTerminal } = {},
): Promise<SpawnedServer> {
  const dir = dataDir ?? (await makeTempDir());
  const proc = spawn(
    process.execPath,
    [
      BIN.bankServer,
      'start',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--admin-port',
      '0',
      '--bcrypt-cost',
      '4',
      // Tests register many accounts from 127.0.0.1; a later flag in extraArgs still wins.
      '--max-registrations-per-hour',
      '100000',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  liveProcs.add(proc);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      liveProcs.delete(proc);
      res(code);
    }),
  );
  const ready = new Promise<{ port: number; adminPort: number }>((res, rej) => {
    let buffer = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        stdout.push(line);
        try {
          const o = JSON.parse(line) as { msg?: string; port?: number; adminPort?: number };
          if (o.msg === 'listening' && typeof o.port === 'number' && typeof o.adminPort === 'number') {
            res({ port: o.port, adminPort: o.adminPort });
          }
        } catch {
          // not a JSON line
        }
        nl = buffer.indexOf('\n');
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    void exited.then((code) => rej(new Error(`bank-server exited with ${code} before listening: ${stderr.join('')}`)));
    setTimeout(() => rej(new Error(`bank-server not listening after 60 s: ${stderr.join('')}`)), 60_000).unref();
  });
  const { port, adminPort } = await ready;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill(signal);
    return exited;
  };
  // Enrolled while the server runs, as an operator would (`bank-server terminals enroll`).
  const terminal = options.terminal ?? (await enrolTestTerminal(dir, 'ATM-TEST-1'));
  return {
    terminal,
    proc,
    port,
    adminPort,
    dataDir: dir,
    caPath: join(dir, 'tls', 'ca.crt'),
    stdout,
    stderr,
    stop,
    async dispose(signal: NodeJS.Signals = 'SIGKILL') {
      await stop(signal);
      if (dataDir === undefined) await removeTempDir(dir);
    },
  };
}

/** Run a compiled CLI to completion. */
export function runCli(
  bin: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const proc = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.stdin.end(options.input ?? '');
    proc.once('close', (code) => res({ code, stdout, stderr }));
  });
}

/** `bank-audit verify <data-dir>` pinned to the data dir's own signing public key. */
export function verifyAuditOf(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(BIN.bankAudit, ['verify', dataDir, '--signer', join(dataDir, 'keys', 'audit-signing.pub')]);
}
