import { readFile } from 'node:fs/promises';
import type { BankConnector } from '../client/types.js';

/** What the ATM screens need to start; the UI module exports a function of this shape. */
export type RunAtmUi = (options: {
  connector: BankConnector;
  terminal?: string;
  simulateDispenseFailure?: boolean;
}) => Promise<void>;

/**
 * Everything the `atm` program touches outside itself, injected so tests run it in-process:
 * output streams, the environment, file reads and the UI entry point.
 */
export interface AtmIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  readTextFile(path: string): Promise<string>;
  /** Starts the Ink ATM; by default loaded from ../ui/run.js when first needed. */
  runUi?: RunAtmUi;
}

export function processIo(): AtmIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    readTextFile: (path) => readFile(path, 'utf8'),
  };
}
