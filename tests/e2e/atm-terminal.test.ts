import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { enrolTestTerminal } from '../helpers/test-terminal.js';
import {
  atmCommandLine,
  COLS,
  endRun,
  expectFramed,
  openFundedAccount,
  outOfBand,
  ROWS,
  rowValue,
  Screenshots,
  startAtm,
} from './atm-screen-kit.js';
import { assertTmuxInstalled, type TmuxTerminal } from './tmux-terminal.js';

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

let workDir = '';
let server: SpawnedServer | null = null;
let terminal: TmuxTerminal | null = null;
let ca = '';
let atmCommand = (_terminalId: string | null) => '';
const screens = new Screenshots();
/** The TOTP time step (RFC 6238 default period), as the bank counts it. */
const TOTP_PERIOD_MS = 30_000;
const totpStep = (): number => Math.floor(Date.now() / TOTP_PERIOD_MS);

function asOwner<T>(work: (client: RawClient) => Promise<T>): Promise<T> {
  if (!server) throw new Error('no server');
  return outOfBand({ port: server.port, ca, user: USER, password: PASSWORD }, work);
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
  await openFundedAccount({
    port: server.port,
    ca,
    terminal: server.terminal,
    user: USER,
    password: PASSWORD,
    openingCents: OPENING_CENTS,
  });

  const port = server.port;
  const caPath = server.caPath;
  // The ATM under test is an enrolled terminal; its id comes from its certificate.
  const atmTerminal = await enrolTestTerminal(server.dataDir, TERMINAL_ID);
  atmCommand = (terminalId) =>
    atmCommandLine({
      port,
      caPath,
      terminal: terminalId === null ? null : atmTerminal,
      stderrPath: join(workDir, `atm-${terminalId ?? 'remote'}.stderr`),
    });
});

afterAll(() => endRun({ terminal, server, screens, workDir }));

async function logIn(tty: TmuxTerminal): Promise<string> {
  await tty.press('1');
  await tty.waitFor(/SECURE ATM · Log in[\s\S]*User name/);
  await tty.fill(USER);
  await tty.type(PASSWORD);
  const typed = await tty.waitFor('•'.repeat(PASSWORD.length));
  expect(typed).toContain(USER);
  expect(typed).not.toContain(PASSWORD);
  await tty.press('Enter');
  return tty.waitFor(`Hello, ${USER}. What would you like to do?`);
}

/**
 * The code that switched two-factor login `state` was taken: the confirmation, then the menu
 * (showing `menu`), then its status screen; each fits. Returns the status screen.
 */
async function twoFactorSwitched(
  tty: TmuxTerminal,
  state: 'on' | 'off',
  menu: string,
  status: { shows: string; title: string; name: string },
): Promise<string> {
  expectFramed(await tty.waitFor(`Two-factor login is ${state}`), `two-factor ${state}`, true);
  await tty.press('Enter');
  expectFramed(await tty.waitFor(menu), `menu with two-factor ${state}`, true);
  await tty.press('8');
  const screen = await screens.shot(tty, status.shows, status.title);
  expectFramed(screen, status.name, true);
  return screen;
}

describe('the atm binary in an 80×24 terminal, against a real bank', () => {
  it('a remote session (no terminal) is offered no cash and says why', async () => {
    terminal = await startAtm(atmCommand(null));
    const tty = terminal;
    await tty.waitFor('Welcome to Secure ATM.');
    // Open an account: the form with its password checklist fits.
    await tty.press('2');
    expectFramed(await tty.waitFor('Repeat password'), 'register form', true);
    await tty.press('Escape');
    await tty.waitFor('Welcome to Secure ATM.');
    // A wrong password: the error screen fits, and going back keeps the user name.
    await tty.press('1');
    await tty.waitFor('User name');
    await tty.type(`${USER}\rWrong-Password-1!\r`);
    expectFramed(await tty.waitFor('User name or password not recognised'), 'login error', true);
    await tty.press('Enter');
    expect(await tty.waitFor(/Log in[\s\S]*User name\s+teller\.e2e/)).toContain(USER);
    await tty.press('Escape');
    await tty.waitFor('Welcome to Secure ATM.');
    const menu = await logIn(tty);
    screens.add('Main menu, remote session', menu);
    expectFramed(menu, 'remote menu', true);
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
    terminal = await startAtm(atmCommand(TERMINAL_ID));
    const tty = terminal;

    const welcome = await screens.shot(tty, 'Welcome to Secure ATM.', 'Welcome');
    expect(welcome).toContain(TERMINAL_ID);
    expect(welcome).toContain('1 Log in');
    expectFramed(welcome, 'welcome', true);

    const menu = await logIn(tty);
    screens.add('Main menu', menu);
    expectFramed(menu, 'menu', true);
    expect(menu).toContain('SECURE ATM · Main menu');
    expect(menu).toContain(`${USER} @ ${TERMINAL_ID}`);
    expect(menu).toContain('3 Deposit');
    expect(menu).toContain('Set up two-factor login');

    // Deposit: amount → confirm → receipt.
    await tty.press('3');
    await tty.waitFor('How much are you depositing?');
    await tty.type(DEPOSIT_TYPED);
    expectFramed(await tty.waitFor(`Amount $  ${DEPOSIT_TYPED}`), 'deposit amount', true);
    await tty.press('Enter');
    expectFramed(await tty.waitFor('Deposit $25.50 into your account?'), 'deposit confirm', true);
    await tty.press('Enter');
    const receipt = await tty.waitFor('Deposit received');
    expectFramed(receipt, 'deposit receipt', true);
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
    expectFramed(balance, 'balance', true);
    expect(balance).toMatch(/│ \$125\.50\s+│/);
    await tty.press('Escape');

    // Withdraw: the limits are stated, a quick amount asks first, Esc changes nothing.
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('2');
    const amounts = await screens.shot(tty, "Left of today's withdrawal limit: $100.00", 'Withdraw cash');
    expectFramed(amounts, 'withdraw amounts', true);
    expect(amounts).toContain('At most $500.00 in one withdrawal');
    await tty.press('2');
    const confirm = await screens.shot(tty, 'Withdraw $40.00 in cash from your account?', 'Withdrawal confirm');
    expectFramed(confirm, 'withdraw confirm', true);
    await tty.press('Escape');
    await tty.waitFor('Other amount');
    await tty.press('2');
    await tty.waitFor('Withdraw $40.00 in cash');
    await tty.press('Enter');
    const cash = await tty.waitFor('Please take your cash', 20_000);
    expectFramed(cash, 'withdrawal receipt', true);
    expect(rowValue(cash, 'New balance')).toBe('$85.50');
    await tty.press('Enter');
    await tty.waitFor(`Hello, ${USER}.`);

    // Over what is left of today's limit: refused with the number, nothing sent.
    await tty.press('2');
    await tty.waitFor("Left of today's withdrawal limit: $60.00");
    await tty.press('4'); // $100
    const limit = await screens.shot(tty, 'Today you can withdraw at most $60.00 more.', 'Limit message');
    expectFramed(limit, 'limit message', true);
    await tty.press('Escape');

    // What the screens said is what the bank holds.
    const ledger = await asOwner(async (client) => ({
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
    for (const [key, shows, name] of [
      ['5', 'end of statement', 'mini-statement'],
      ['6', 'Repeat new password', 'change password'],
    ] as const) {
      await tty.waitFor(`Hello, ${USER}.`);
      await tty.press(key);
      expectFramed(await tty.waitFor(shows), name, true);
      await tty.press('Escape');
    }
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('7');
    await tty.waitFor('Where can the bank reach you?');
    await tty.fill('e2e@example.com', '+1 555 0100');
    expectFramed(await tty.waitFor('Contact details saved'), 'contact saved', true);
    await tty.press('Enter');

    // Two-factor: password → the QR code alone on the screen → the first code → on.
    await tty.waitFor(`Hello, ${USER}.`);
    await tty.press('8');
    expectFramed(await tty.waitFor('Two-factor login: off'), 'two-factor password', true);
    await tty.fill(PASSWORD);
    const qr = await screens.shot(tty, 'Scan this code', 'Two-factor QR code');
    const qrLines = qr.split('\n');
    expect(qrLines.length).toBeLessThanOrEqual(ROWS);
    for (const line of qrLines) expect([...line].length).toBeLessThanOrEqual(COLS);
    // The code's top is on screen (nothing scrolled away): the first row is its quiet zone.
    expect(qrLines[0]).toMatch(/^[▀▄█]{20,}/);
    expect(qrLines.filter((line) => /^[ ▀▄█]{20,}/.test(line)).length).toBeGreaterThanOrEqual(15);
    await tty.press('Enter');
    const entry = await tty.waitFor('Enter the 6-digit code');
    expectFramed(entry, 'two-factor code', true);
    const secret = /by hand:\s*│\s*│ ([A-Z2-7 ]+?)\s*│/.exec(entry)?.[1]?.replaceAll(' ', '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret ?? '') });
    const enrolStep = totpStep();
    const code = totp.generate({ timestamp: enrolStep * TOTP_PERIOD_MS });
    await tty.fill(code);
    const status = await twoFactorSwitched(tty, 'on', 'Two-factor login: on', {
      shows: 'Turn off',
      title: 'Two-factor status',
      name: 'two-factor status',
    });
    expect(status).toContain('Two-factor login: on');

    // Turn it off: password and a current code. The enrolment code is refused as used while
    // its step is still inside the bank's window (±1 step); the next step's code is accepted
    // at once (inside the window, after the last used step), so nothing waits on the clock.
    await tty.press('Enter');
    expectFramed(await tty.waitFor('current code from your app'), 'two-factor off form', true);
    await tty.fill(PASSWORD);
    const sameStep = totpStep() === enrolStep;
    await tty.fill(code);
    const refused = await tty.waitFor(/That code was already used|That code is not right/);
    expectFramed(refused, 'two-factor code refused', true);
    // Still the enrolment step here, so the bank's window holds it for 30 s more: "used".
    if (sameStep) expect(refused).toContain('That code was already used');
    await tty.press(...Array<string>(6).fill('BSpace'));
    await tty.fill(totp.generate({ timestamp: (totpStep() + 1) * TOTP_PERIOD_MS }));
    const offStatus = await twoFactorSwitched(tty, 'off', 'Set up two-factor login', {
      shows: 'Two-factor login: off',
      title: 'Two-factor off',
      name: 'two-factor status off',
    });
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
    expectFramed(redrawn, 'menu after resize', true);
    // Narrow but tall: the terminal re-wraps the old frame's lines, which must not stay behind.
    await tty.resize(50, 30);
    await tty.waitFor('Please make the window at least 66×20');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await tty.screen()).trim()).toBe('Please make the window at least 66×20');
    await tty.resize(COLS, ROWS);
    expectFramed(
      await tty.waitFor((screen) => screen.includes(`Hello, ${USER}.`) && !screen.includes('Please make')),
      'menu after the narrow window',
      true,
    );
    await tty.resize(100, 30);
    expectFramed(
      await tty.waitFor((screen) => screen.includes(`Hello, ${USER}.`) && screen.split('\n').length < 30),
      'menu, wider',
      true,
    );
    await tty.resize(COLS, ROWS);
    expectFramed(await tty.waitFor(`Hello, ${USER}.`), 'menu, 80×24 again', true);

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
