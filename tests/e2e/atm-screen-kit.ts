/** What the tmux end-to-end tests share: the atm command line and pane, screen checks, collected screens, setup. */
import { rm, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { BIN, REPO_ROOT, type SpawnedServer } from '../helpers/spawn-server.js';
import { shellQuote, TmuxTerminal } from './tmux-terminal.js';

export const COLS = 80;
export const ROWS = 24;

/** The value printed right of `label` on a screen row ("│ │ New balance   $125.50 │ │"). */
export function rowValue(screen: string, label: string): string | undefined {
  const row = new RegExp(`│ ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+([^│]+?)\\s*│`).exec(screen);
  return row?.[1];
}

/**
 * The ATM's box is whole: its top and bottom border are on screen and every row between is the
 * same width. `whole` also asks that no row is wider than the screen, every row between starts
 * and ends with the border (a wrapped line would not), and only one frame is on screen.
 */
export function expectFramed(screen: string, name: string, whole = false): void {
  const lines = screen.split('\n');
  expect(lines.length, `${name}: rows`).toBeLessThanOrEqual(ROWS);
  const top = lines.findIndex((line) => line.startsWith('╭'));
  const bottom = lines.findIndex((line) => line.startsWith('╰'));
  expect(top, `${name}: top border`).toBeGreaterThanOrEqual(0);
  expect(bottom, `${name}: bottom border`).toBeGreaterThan(top);
  const width = [...(lines[top] ?? '')].length;
  for (const line of lines.slice(top, bottom + 1)) {
    const chars = [...line.trimEnd()];
    if (whole) expect(chars.length, `${name}: ${line}`).toBeLessThanOrEqual(COLS);
    expect(chars.length, `${name}: ${line}`).toBe(width);
    if (whole && line !== lines[top] && line !== lines[bottom]) {
      expect(chars[0], `${name}: ${line}`).toBe('│');
      expect(chars.at(-1), `${name}: ${line}`).toBe('│');
    }
  }
  // The screen of one ATM frame, not pieces of earlier ones.
  if (whole) {
    expect(
      lines.filter((line) => line.startsWith('╭')),
      `${name}: one frame`,
    ).toHaveLength(1);
  }
}

/** The screens a run passes through, written to ATM_E2E_SCREENS when it is set (the README's screenshots). */
export class Screenshots {
  readonly #collected: string[] = [];

  add(name: string, screen: string): void {
    this.#collected.push(`## ${name}\n\n\`\`\`\n${screen}\n\`\`\`\n`);
  }

  /** Waits for `expected` and keeps the screen under `name`. */
  async shot(tty: TmuxTerminal, expected: string | RegExp, name: string, timeoutMs?: number): Promise<string> {
    const screen = await tty.waitFor(expected, timeoutMs);
    this.add(name, screen);
    return screen;
  }

  async write(): Promise<void> {
    if (process.env.ATM_E2E_SCREENS) await writeFile(process.env.ATM_E2E_SCREENS, this.#collected.join('\n'));
  }
}

/** The shell command that runs the built `atm` against a bank, at an enrolled terminal or (null) remotely. */
export function atmCommandLine(options: {
  port: number;
  caPath: string;
  terminal: { certPath: string; keyPath: string } | null;
  stderrPath: string;
}): string {
  const { terminal } = options;
  return [
    'env TERM=xterm-256color FORCE_COLOR=0',
    shellQuote(process.execPath),
    shellQuote(BIN.atm),
    '--port',
    String(options.port),
    '--ca',
    shellQuote(options.caPath),
    ...(terminal === null
      ? []
      : ['--terminal-cert', shellQuote(terminal.certPath), '--terminal-key', shellQuote(terminal.keyPath)]),
    `2>${shellQuote(options.stderrPath)}`,
  ].join(' ');
}

function ttyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: '0' };
  // The developer's own ATM_* settings must not steer the binary under test.
  for (const name of Object.keys(env)) if (name.startsWith('ATM_')) delete env[name];
  return env;
}

/** The atm in an 80×24 tmux pane; the pane stays after it exits and says how it exited. */
export function startAtm(command: string): Promise<TmuxTerminal> {
  return TmuxTerminal.start({
    command: `${command}; echo "ATM-EXITED $?"; sleep 600`,
    cwd: REPO_ROOT,
    env: ttyEnv(),
    cols: COLS,
    rows: ROWS,
  });
}

/** Opens an account at a terminal and deposits its opening balance, outside the ATM under test. */
export async function openFundedAccount(options: {
  port: number;
  ca: string;
  terminal: { cert: string; key: string };
  user: string;
  password: string;
  openingCents: number;
}): Promise<void> {
  const client = await RawClient.login({
    port: options.port,
    ca: options.ca,
    cert: options.terminal.cert,
    key: options.terminal.key,
    user: options.user,
    password: options.password,
    method: 'register',
  });
  try {
    expect((await client.call({ op: 'deposit', amountCents: options.openingCents })).ok).toBe(true);
  } finally {
    client.destroy();
  }
}

/** A remote session for a look at the ledger from outside the ATM under test. */
export async function outOfBand<T>(
  login: { port: number; ca: string; user: string; password: string },
  work: (client: RawClient) => Promise<T>,
): Promise<T> {
  const client = await RawClient.login(login);
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

/** After a suite: the pane and the bank stop, the screens are written when asked for, the work dir goes. */
export async function endRun(run: {
  terminal: TmuxTerminal | null;
  server: SpawnedServer | null;
  screens: Screenshots;
  workDir: string;
}): Promise<void> {
  await run.terminal?.kill();
  await run.server?.stop();
  await run.screens.write();
  if (run.workDir) await rm(run.workDir, { recursive: true, force: true });
}
