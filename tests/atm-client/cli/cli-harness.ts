import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { AtmIo, RunAtmUi } from '../../../atm-client/cli/atm-io.js';
import { runAtm } from '../../../atm-client/cli/program.js';
import { throwawayTerminalCertificate } from '../../helpers/test-terminal.js';

/** The environment `atm` reads to reach a scripted peer as alice; `extra` adds or overrides. */
export function peerEnv(
  peer: { port: number; pki: { caPem: string } },
  password: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ATM_HOST: '127.0.0.1',
    ATM_PORT: String(peer.port),
    ATM_CA: peer.pki.caPem,
    ATM_USER: 'alice',
    ATM_PASSWORD: password,
    ...extra,
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `atm` in-process with captured output and only the given environment. */
export async function runCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
  extra: { runUi?: RunAtmUi } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: AtmIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    readTextFile: (path) => readFile(path, 'utf8'),
    ...(extra.runUi ? { runUi: extra.runUi } : {}),
  };
  const code = await runAtm(argv, io);
  return { code, stdout, stderr };
}

/** A throwaway terminal certificate and key for `id`, written to a temp dir removed after the test. */
export async function terminalFiles(id: string): Promise<{ certPath: string; keyPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'atm-terminal-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const { cert, key } = await throwawayTerminalCertificate(id);
  const certPath = join(dir, `${id}.crt`);
  const keyPath = join(dir, `${id}.key`);
  await writeFile(certPath, cert);
  await writeFile(keyPath, key, { mode: 0o600 });
  return { certPath, keyPath };
}
