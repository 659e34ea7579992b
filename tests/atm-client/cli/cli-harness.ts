import { readFile } from 'node:fs/promises';
import type { AtmIo, RunAtmUi } from '../../../atm-client/cli/atm-io.js';
import { runAtm } from '../../../atm-client/cli/program.js';

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
