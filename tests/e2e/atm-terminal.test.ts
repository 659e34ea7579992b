import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { BIN, REPO_ROOT, type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { enrolTestTerminal } from '../helpers/test-terminal.js';
import { assertTmuxInstalled, shellQuote, TmuxTerminal } from './tmux-terminal.js';

/**
 * The real `atm` binary (dist/, so `npm run build` first) in a real 80×24 pseudo-terminal,
 * against a real `bank-server` process started with a small daily withdrawal limit: every
 * screen must fit (the box whole, its bottom border on screen), including the two-factor
 * QR code; a resize to 50×16 shows one line and a resize back redraws cleanly; a
 * withdrawal asks before the cash comes out. Ledger facts are checked out-of-band.
 *
 * Set ATM_E2E_SCREENS to a file name to collect the screens (the README's screenshots).
 */

const USER = 'teller.e2e';
const PASSWORD = 'E2e-Correct-Horse-9!';
const TERMINAL_ID = 'ATM-E2E';
const OPENING_CENTS = 10_000;
const DEPOSIT_TYPED = '25.50';
const DEPOSIT_CENTS = 2_550;
const DAILY_LIMIT_CENTS = 10_000;
const MAX_AMOUNT_CENTS = 50_000;
const COLS = 80;
const ROWS = 24;

let workDir = '';
let server: SpawnedServer | null = null;
let terminal: TmuxTerminal | null = null;
let ca = '';
let atmCommand = (_terminalId: string | null) => '';
const collected: string[] = [];
/** The TOTP time step (RFC 6238 default period), as the bank counts it. */
const TOTP_PERIOD_MS = 30_000;
const totpStep = (): number => Math.floor(Date.now() / TOTP_PERIOD_MS);

/** The value printed right of `label` on a screen row ("│ │ New balance   $125.50 │ │"). */
function rowValue(screen: string, label: string): string | undefined {
  const row = new RegExp(`│ ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+([^│]+?)\\s*│`).exec(screen);
  return row?.[1];
}

/**
 * The ATM's box is whole on an 80×24 screen: its top and bottom border are there, and every
 * line between starts and ends with the border at the same columns (a wrapped line would not).
 */
function expectFramed(screen: string, name: string): void {
  const lines = screen.split('\n');
  expect(lines.length, `${name}: rows`).toBeLessThanOrEqual(ROWS);
  const top = lines.findIndex((line) => line.startsWith('╭'));
  const bottom = lines.findIndex((line) => line.startsWith('╰'));
  expect(top, `${name}: top border`).toBeGreaterThanOrEqual(0);
  expect(bottom, `${name}: bottom border`).toBeGreaterThan(top);
  const width = [...(lines[top] ?? '')].length;
  for (const line of lines.slice(top, bottom + 1)) {
    const chars = [...line.trimEnd()];
    expect(chars.length, `${name}: ${line}`).toBeLessThanOrEqual(COLS);
    expect(chars.length, `${name}: ${line}`).toBe(width);
    if (line !== lines[top] && line !== lines[bottom]) {
      expect(chars[0], `${name}: ${line}`).toBe('│');
      expect(chars.at(-1), `${name}: ${line}`).toBe('│');
    }
  }
  // The screen of one ATM frame, not pieces of earlier ones.
  expect(
    lines.filter((line) => line.startsWith('╭')),
    `${name}: one frame`,
  ).toHaveLength(1);
}

async function shot(tty: TmuxTerminal, expected: string | RegExp, name: string): Promise<string> {
  const screen = await tty.waitFor(expected);
  collected.push(`## ${name}\n\n\`\`\`\n${screen}\n\`\`\`\n`);
  return screen;
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
  server = await spawnBankServer(
    [
      '--allow-registration',
      '--daily-withdrawal-limit',
      String(DAILY_LIMIT_CENTS),
      '--max-amount',
      String(MAX_AMOUNT_CENTS),
    ],
    join(workDir, 'bank-data'),
  );
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

  const port = server.port;
  const caPath = server.caPath;
  // The ATM under test is an enrolled terminal; its id comes from its certificate.
  const atmTerminal = await enrolTestTerminal(server.dataDir, TERMINAL_ID);
  atmCommand = (terminalId) =>
    [
      'env TERM=xterm-256color FORCE_COLOR=0',
      shellQuote(process.execPath),
      shellQuote(BIN.atm),
      '--port',
      String(port),
      '--ca',
      shellQuote(caPath),
      ...(terminalId === null
        ? []
        : ['--terminal-cert', shellQuote(atmTerminal.certPath), '--terminal-key', shellQuote(atmTerminal.keyPath)]),
      `2>${shellQuote(join(workDir, `atm-${terminalId ?? 'remote'}.stderr`))}`,
    ].join(' ');
});

function ttyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: '0' };
  // The developer's own ATM_* settings must not steer the binary under test.
  for (const name of Object.keys(env)) if (name.startsWith('ATM_')) delete env[name];
  return env;
}

afterAll(async () => {
  await terminal?.kill();
  await server?.stop();
  if (process.env.ATM_E2E_SCREENS) await writeFile(process.env.ATM_E2E_SCREENS, collected.join('\n'));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function logIn(tty: TmuxTerminal): Promise<string> {
  await tty.press('1');
  await tty.waitFor(/SECURE ATM · Log in[\s\S]*User name/);
  await tty.type(USER);
  await tty.press('Enter');
  await tty.type(PASSWORD);
  const typed = await tty.waitFor('•'.repeat(PASSWORD.length));
  expect(typed).toContain(USER);
  expect(typed).not.toContain(PASSWORD);
  await tty.press('Enter');
  return tty.waitFor(`Hello, ${USER}. What would you like to do?`);
}

describe('the atm binary in an 80×24 terminal, against a real bank', () => {
  it('a remote session (no terminal) is offered no cash and says why', async () => {
    terminal = await TmuxTerminal.start({
      command: `${atmCommand(null)}; echo "ATM-EXITED $?"; sleep 600`,
      cwd: REPO_ROOT,
      env: ttyEnv(),
      cols: COLS,
      rows: ROWS,
    });
    const tty = terminal;
    await tty.waitFor('Welcome to Secure ATM.');
    // Open an account: the form with its password checklist fits.
    await tty.press('2');
    expectFramed(await tty.waitFor('Repeat password'), 'register form');
    await tty.press('Escape');
    await tty.waitFor('Welcome to Secure ATM.');
    // A wrong password: the error screen fits, and going back keeps the user name.
    await tty.press('1');
    await tty.waitFor('User name');
    await tty.type(`${USER}\rWrong-Password-1!\r`);
    expectFramed(await tty.waitFor('User name or password not recognised'), 'login error');
    await tty.press('Enter');
    expect(await tty.waitFor(/Log in[\s\S]*User name\s+teller\.e2e/)).toContain(USER);
    await tty.press('Escape');
    await tty.waitFor('Welcome to Secure ATM.');
    const menu = await logIn(tty);
    collected.push(`## Main menu, remote session\n\n\`\`\`\n${menu}\n\`\`\`\n`);
    expectFramed(menu, 'remote menu');
    expect(menu).not.toContain('Withdraw cash');
    expect(menu).not.toContain('Deposit');
    expect(menu).toContain('Cash needs an enrolled ATM');
    expect(menu).toContain('Transfer');
    await tty.press('7'); // Log out is the last of 7 items
    await tty.waitFor('You are logged out.');
    await tty.press('3');
    await tty.waitFor('ATM-EXITED 0');
    await terminal.kill();
    terminal = null;
  });

  it('every screen fits; deposit, withdrawal with its confirm step, limits, two-factor, resize, quit', async () => {
    // The pane outlives the ATM so the test can read how it exited.
    terminal = await TmuxTerminal.start({
      command: `${atmCommand(TERMINAL_ID)}; echo "ATM-EXITED $?"; sleep 600`,
      cwd: REPO_ROOT,
      env: ttyEnv(),
      cols: COLS,
      rows: ROWS,
    });
    const tty = terminal;

    const welcome = await shot(tty, 'Welcome to Secure ATM.', 'Welcome');
    expect(welcome).toContain(TERMINAL_ID);
    expect(welcome).toContain('1 Log in');
    expectFramed(welcome, 'welcome');

    const menu = await logIn(tty);
    collected.push(`## Main menu\n\n\`\`\`\n${menu}\n\`\`\`\n`);
    expectFramed(menu, 'menu');
    expect(menu).toContain('SECURE ATM · Main menu');
    expect(menu).toContain(`${USER} @ ${TERMINAL_ID}`);
    expect(menu).toContain('3 Deposit');
    expect(menu).toContain('Set up two-factor login');

    // Deposit: amount → confirm → receipt.
    await tty.press('3');
    await tty.waitFor('How much are you depositing?');
    await tty.type(DEPOSIT_TYPED);
    expectFramed(await tty.waitFor(`Amount $  ${DEPOSIT_TYPED}`), 'deposit amount');
    await tty.press('Enter');
    expectFramed(await tty.waitFor('Deposit $25.50 into your account?'), 'deposit confirm');
    await tty.press('Enter');
    const receipt = await tty.waitFor('Deposit received');
    expectFramed(receipt, 'deposit receipt');
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
    expectFramed(balance, 'balance');
    expect(balance).toMatch(/│ \$125\.50\s+│/);
    await tty.press('Escape');

    // Withdraw: the limits are stated, a quick amount asks first, Esc changes nothing.
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('2');
    const amounts = await shot(tty, "Left of today's withdrawal limit: $100.00", 'Withdraw cash');
    expectFramed(amounts, 'withdraw amounts');
    expect(amounts).toContain('At most $500.00 in one withdrawal');
    await tty.press('2');
    const confirm = await shot(tty, 'Withdraw $40.00 in cash from your account?', 'Withdrawal confirm');
    expectFramed(confirm, 'withdraw confirm');
    await tty.press('Escape');
    await tty.waitFor('Other amount');
    await tty.press('2');
    await tty.waitFor('Withdraw $40.00 in cash');
    await tty.press('Enter');
    const cash = await tty.waitFor('Please take your cash', 20_000);
    expectFramed(cash, 'withdrawal receipt');
    expect(rowValue(cash, 'New balance')).toBe('$85.50');
    await tty.press('Enter');
    await tty.waitFor(`Hello, ${USER}.`);

    // Over what is left of today's limit: refused with the number, nothing sent.
    await tty.press('2');
    await tty.waitFor("Left of today's withdrawal limit: $60.00");
    await tty.press('4'); // $100
    const limit = await shot(tty, 'Today you can withdraw at most $60.00 more.', 'Limit message');
    expectFramed(limit, 'limit message');
    await tty.press('Escape');

    // What the screens said is what the bank holds.
    const ledger = await outOfBand(async (client) => ({
      balance: await client.call({ op: 'balance' }),
      history: await client.call({ op: 'history', limit: 2 }),
    }));
    expect(ledger.balance).toMatchObject({ ok: true, result: { balanceCents: OPENING_CENTS + DEPOSIT_CENTS - 4_000 } });
    expect(ledger.history).toMatchObject({
      ok: true,
      result: {
        entries: [
          { kind: 'withdrawal', amountCents: -4_000 },
          { txId, kind: 'deposit', amountCents: DEPOSIT_CENTS },
        ],
      },
    });

    // Screens without money: each fits.
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('5');
    expectFramed(await tty.waitFor('end of statement'), 'mini-statement');
    await tty.press('Escape');
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('6');
    expectFramed(await tty.waitFor('Repeat new password'), 'change password');
    await tty.press('Escape');
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('7');
    await tty.waitFor('Where can the bank reach you?');
    await tty.type('e2e@example.com');
    await tty.press('Enter');
    await tty.type('+1 555 0100');
    await tty.press('Enter');
    expectFramed(await tty.waitFor('Contact details saved'), 'contact saved');
    await tty.press('Enter');

    // Two-factor: password → the QR code alone on the screen → the first code → on.
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('8');
    expectFramed(await tty.waitFor('Two-factor login: off'), 'two-factor password');
    await tty.type(PASSWORD);
    await tty.press('Enter');
    const qr = await shot(tty, 'Scan this code', 'Two-factor QR code');
    const qrLines = qr.split('\n');
    expect(qrLines.length).toBeLessThanOrEqual(ROWS);
    for (const line of qrLines) expect([...line].length).toBeLessThanOrEqual(COLS);
    // The code's top is on screen (nothing scrolled away): the first row is its quiet zone.
    expect(qrLines[0]).toMatch(/^[▀▄█]{20,}/);
    expect(qrLines.filter((line) => /^[ ▀▄█]{20,}/.test(line)).length).toBeGreaterThanOrEqual(15);
    await tty.press('Enter');
    const entry = await tty.waitFor('Enter the 6-digit code');
    expectFramed(entry, 'two-factor code');
    const secret = /by hand:\s*│\s*│ ([A-Z2-7 ]+?)\s*│/.exec(entry)?.[1]?.replaceAll(' ', '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret ?? '') });
    const enrolStep = totpStep();
    const code = totp.generate({ timestamp: enrolStep * TOTP_PERIOD_MS });
    await tty.type(code);
    await tty.press('Enter');
    expectFramed(await tty.waitFor('Two-factor login is on'), 'two-factor on');
    await tty.press('Enter');
    const on = await tty.waitFor('Two-factor login: on');
    expectFramed(on, 'menu with two-factor on');
    await tty.press('8');
    const status = await shot(tty, 'Turn off', 'Two-factor status');
    expectFramed(status, 'two-factor status');
    expect(status).toContain('Two-factor login: on');

    // Turn it off: password and a current code. The enrolment code is refused as used while
    // its step is still inside the bank's window (±1 step); the next step's code is accepted
    // at once (inside the window, after the last used step), so nothing waits on the clock.
    await tty.press('Enter');
    expectFramed(await tty.waitFor('current code from your app'), 'two-factor off form');
    await tty.type(PASSWORD);
    await tty.press('Enter');
    const sameStep = totpStep() === enrolStep;
    await tty.type(code);
    await tty.press('Enter');
    const refused = await tty.waitFor(/That code was already used|That code is not right/);
    expectFramed(refused, 'two-factor code refused');
    // Still the enrolment step here, so the bank's window holds it for 30 s more: "used".
    if (sameStep) expect(refused).toContain('That code was already used');
    await tty.press(...Array<string>(6).fill('BSpace'));
    await tty.type(totp.generate({ timestamp: (totpStep() + 1) * TOTP_PERIOD_MS }));
    await tty.press('Enter');
    expectFramed(await tty.waitFor('Two-factor login is off'), 'two-factor off');
    await tty.press('Enter');
    const off = await tty.waitFor('Set up two-factor login');
    expectFramed(off, 'menu with two-factor off');
    await tty.press('8');
    const offStatus = await shot(tty, 'Two-factor login: off', 'Two-factor off');
    expectFramed(offStatus, 'two-factor status off');
    expect(offStatus).not.toContain('Turn off');
    await tty.press('Escape');
    await tty.waitFor(`Hello, ${USER}.`);

    // Too small: one clear line. Back to 80×24: the menu again, drawn once, whole.
    await tty.resize(50, 16);
    const small = await tty.waitFor('Please make the window at least 66×20');
    expect(small.trim()).toBe('Please make the window at least 66×20');
    await tty.resize(COLS, ROWS);
    const redrawn = await tty.waitFor(
      (screen) => screen.includes(`Hello, ${USER}.`) && !screen.includes('Please make the window'),
    );
    expectFramed(redrawn, 'menu after resize');
    // Narrow but tall: the terminal re-wraps the old frame's lines, which must not stay behind.
    await tty.resize(50, 30);
    await tty.waitFor('Please make the window at least 66×20');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await tty.screen()).trim()).toBe('Please make the window at least 66×20');
    await tty.resize(COLS, ROWS);
    expectFramed(
      await tty.waitFor((screen) => screen.includes(`Hello, ${USER}.`) && !screen.includes('Please make')),
      'menu after the narrow window',
    );
    await tty.resize(100, 30);
    expectFramed(
      await tty.waitFor((screen) => screen.includes(`Hello, ${USER}.`) && screen.split('\n').length < 30),
      'menu, wider',
    );
    await tty.resize(COLS, ROWS);
    expectFramed(await tty.waitFor(`Hello, ${USER}.`), 'menu, 80×24 again');

    // Log out; with two-factor off the password alone logs in again (logIn waits for the menu,
    // so a code screen would fail it). Then Quit: the binary exits 0, no stack trace behind.
    await tty.press('9');
    await tty.waitFor('You are logged out. Thank you for banking with us.');
    const again = await logIn(tty);
    expect(again).not.toContain('Two-factor code');
    expect(again).toContain('Set up two-factor login');
    await tty.press('9');
    await tty.waitFor('You are logged out. Thank you for banking with us.');
    await tty.press('3');
    await tty.waitFor('ATM-EXITED 0');
    const stderr = await readFile(join(workDir, `atm-${TERMINAL_ID}.stderr`), 'utf8');
    expect(stderr).not.toMatch(/Error|\n\s+at /);
  });
});
