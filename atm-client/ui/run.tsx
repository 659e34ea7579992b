import { render } from 'ink';
import type { BankConnector } from '../client/types.js';
import { App } from './App.js';

export { App, type AppProps } from './App.js';

/** A reason the ATM screen cannot start, with a stable code for the CLI to print. */
export class AtmUiError extends Error {
  readonly code: 'NOT_A_TERMINAL';

  constructor(code: 'NOT_A_TERMINAL', message: string) {
    super(message);
    this.name = 'AtmUiError';
    this.code = code;
  }
}

export interface RunAtmUiOptions {
  connector: BankConnector;
  terminal?: string;
  simulateDispenseFailure?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Opens the Ink ATM on a terminal and resolves when the customer quits (Quit on the
 * welcome screen, or Ctrl+C, which logs out first). Rejects with `AtmUiError`
 * (`NOT_A_TERMINAL`) when stdin cannot be put in raw mode, before drawing anything.
 */
export async function runAtmUi(options: RunAtmUiOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new AtmUiError(
      'NOT_A_TERMINAL',
      'the ATM needs an interactive terminal; use `atm exec` or `atm script` instead',
    );
  }
  // If the terminal goes away (ssh or tmux hang-up), writes fail with EIO/EPIPE: the customer is
  // gone, so leave quietly instead of crashing with a stack trace on a closed terminal.
  const stdout = options.stdout ?? process.stdout;
  const onTerminalGone = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EIO' || err.code === 'EPIPE' || err.code === 'ENXIO') process.exit(0);
    throw err;
  };
  stdout.on('error', onTerminalGone);
  stdin.on('error', onTerminalGone);
  const instance = render(
    <App
      connector={options.connector}
      simulateDispenseFailure={options.simulateDispenseFailure ?? false}
      {...(options.terminal === undefined ? {} : { terminal: options.terminal })}
    />,
    {
      stdin,
      ...(options.stdout === undefined ? {} : { stdout: options.stdout }),
      // Ctrl+C is the App's: it logs out before leaving.
      exitOnCtrlC: false,
      // Stray console output would tear the screen, so Ink redirects it, when the host's
      // console can be patched (test runners replace it with one that cannot).
      patchConsole: typeof console.Console === 'function',
    },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    stdout.off('error', onTerminalGone);
    stdin.off('error', onTerminalGone);
  }
}
