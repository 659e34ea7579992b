import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { BIN, REPO_ROOT, type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { enrolTestTerminal } from '../helpers/test-terminal.js';
import { assertTmuxInstalled, shellQuote, TmuxTerminal } from './tmux-terminal.js';

/**
 * The real `atm` binary (dist/, so `npm run build` first) in a real pseudo-terminal,
 * against a real `bank-server` process: log in → deposit → receipt → balance → log out →
 * quit, read off the screen, with the ledger checked out-of-band afterwards.
 */

const USER = 'teller.e2e';
const PASSWORD = 'E2e-Correct-Horse-9!';
const TERMINAL_ID = 'ATM-E2E';
const OPENING_CENTS = 10_000;
const DEPOSIT_TYPED = '25.50';
const DEPOSIT_CENTS = 2_550;

let workDir = '';
let server: SpawnedServer | null = null;
let terminal: TmuxTerminal | null = null;
let ca = '';

/** The value printed right of `label` on a screen row ("│ │ New balance   $125.50 │ │"). */
function rowValue(screen: string, label: string): string | undefined {
  const row = new RegExp(`│ ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+([^│]+?)\\s*│`).exec(screen);
  return row?.[1];
}

async function outOfBand<T>(work: (client: RawClient) => Promise<T>): Promise<T> {
  if (!server) throw new Error('no server');
  const client = await RawClient.login({ port: server.port, ca, user: USER, password: PASSWORD });
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  await assertTmuxInstalled();
  workDir = await mkdtemp(join(tmpdir(), 'atm-e2e-'));
  server = await spawnBankServer(['--allow-registration'], join(workDir, 'bank-data'));
  ca = await readFile(server.caPath, 'utf8');

  // The account and its opening balance come from outside the ATM under test.
  const { cert, key } = server.terminal;
  const client = await RawClient.login({
    port: server.port,
    ca,
    cert,
    key,
    user: USER,
    password: PASSWORD,
    method: 'register',
  });
  try {
    const opened = await client.call({ op: 'deposit', amountCents: OPENING_CENTS });
    expect(opened.ok).toBe(true);
  } finally {
    client.destroy();
  }

  // The ATM under test is an enrolled terminal; its id comes from its certificate.
  const atmTerminal = await enrolTestTerminal(server.dataDir, TERMINAL_ID);
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: '0' };
  // The developer's own ATM_* settings must not steer the binary under test.
  for (const name of Object.keys(env)) if (name.startsWith('ATM_')) delete env[name];
  const atm = [
    'env TERM=xterm-256color FORCE_COLOR=0',
    shellQuote(process.execPath),
    shellQuote(BIN.atm),
    '--port',
    String(server.port),
    '--ca',
    shellQuote(server.caPath),
    '--terminal-cert',
    shellQuote(atmTerminal.certPath),
    '--terminal-key',
    shellQuote(atmTerminal.keyPath),
    `2>${shellQuote(join(workDir, 'atm.stderr'))}`,
  ].join(' ');
  // The pane outlives the ATM so the test can read how it exited.
  terminal = await TmuxTerminal.start({
    command: `${atm}; echo "ATM-EXITED $?"; sleep 600`,
    cwd: REPO_ROOT,
    env,
  });
});

afterAll(async () => {
  await terminal?.kill();
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the atm binary in a terminal, against a real bank', () => {
  it('logs in, deposits, shows the receipt and the new balance, and quits cleanly', async () => {
    const tty = terminal as TmuxTerminal;

    const welcome = await tty.waitFor('Welcome to Secure ATM.');
    expect(welcome).toContain(TERMINAL_ID);
    expect(welcome).toContain('1 Log in');

    await tty.press('1');
    await tty.waitFor(/SECURE ATM · Log in[\s\S]*User name/);
    await tty.type(USER);
    await tty.press('Enter');
    await tty.type(PASSWORD);
    const typed = await tty.waitFor('•'.repeat(PASSWORD.length));
    expect(typed).toContain(USER);
    expect(typed).not.toContain(PASSWORD);

    await tty.press('Enter');
    const menu = await tty.waitFor(`Hello, ${USER}. What would you like to do?`);
    expect(menu).toContain('SECURE ATM · Main menu');
    expect(menu).toContain(`${USER} @ ${TERMINAL_ID}`);
    expect(menu).toContain('3 Deposit');

    await tty.press('3');
    await tty.waitFor('How much are you depositing?');
    await tty.type(DEPOSIT_TYPED);
    await tty.waitFor(`Amount $  ${DEPOSIT_TYPED}`);
    await tty.press('Enter');
    await tty.waitFor('Deposit $25.50 into your account?');
    await tty.press('Enter');

    const receipt = await tty.waitFor('Deposit received');
    expect(receipt).toContain('SECURE ATM · Receipt');
    expect(rowValue(receipt, 'Deposited')).toBe('$25.50');
    expect(rowValue(receipt, 'New balance')).toBe('$125.50');
    expect(rowValue(receipt, 'Terminal')).toBe(TERMINAL_ID);
    expect(rowValue(receipt, 'Time')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    const txId = rowValue(receipt, 'Transaction');
    expect(txId).toMatch(/^T\d{12}$/);

    await tty.press('Enter');
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('1');
    const balance = await tty.waitFor(/Available balance\s*│\s*│ \$/);
    expect(balance).toContain('SECURE ATM · Balance');
    expect(balance).toMatch(/│ \$125\.50\s+│/);

    // What the screen said is what the bank holds.
    const ledger = await outOfBand(async (client) => ({
      balance: await client.call({ op: 'balance' }),
      history: await client.call({ op: 'history', limit: 1 }),
    }));
    expect(ledger.balance).toMatchObject({ ok: true, result: { balanceCents: OPENING_CENTS + DEPOSIT_CENTS } });
    expect(ledger.history).toMatchObject({
      ok: true,
      result: { entries: [{ txId, kind: 'deposit', amountCents: DEPOSIT_CENTS }] },
    });

    // Log out, then Quit: the binary exits 0 and leaves no stack trace behind.
    await tty.press('Escape');
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('8');
    await tty.waitFor('You are logged out. Thank you for banking with us.');
    await tty.press('3');
    await tty.waitFor('ATM-EXITED 0');
    const stderr = await readFile(join(workDir, 'atm.stderr'), 'utf8');
    expect(stderr).not.toMatch(/Error|\n\s+at /);
  });
});
