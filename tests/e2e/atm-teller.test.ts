import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, type SpawnedServer, spawnBankServer } from '../helpers/spawn-server.js';
import { enrolTestTerminal } from '../helpers/test-terminal.js';
import { createTellerArgs } from '../server/tellers/teller-fixture.js';
import {
  atmCommandLine,
  endRun,
  expectFramed,
  openFundedAccount,
  outOfBand,
  rowValue,
  Screenshots,
  startAtm,
} from './atm-screen-kit.js';
import { assertTmuxInstalled, type TmuxTerminal } from './tmux-terminal.js';

/**
 * The real `atm` binary in an 80×24 tmux pane at an enrolled terminal, against a real
 * `bank-server`: a teller (made by `bank-server accounts create --role teller`) logs in and serves
 * two customers in a row — a deposit for one, a withdrawal for the other — with the serving banner
 * on screen and both names on each receipt; the ledger is checked out-of-band.
 *
 * Set ATM_E2E_SCREENS to a file name to collect the screens (the README's "At the counter").
 */

const TELLER = 'tess';
const PASSWORD = 'E2e-Correct-Horse-9!';
const CUSTOMERS = ['bob', 'dora'] as const;
const OPENING_CENTS = 10_000;
const TERMINAL_ID = 'ATM-COUNTER';

let workDir = '';
let server: SpawnedServer | null = null;
let terminal: TmuxTerminal | null = null;
let ca = '';
let command = '';
const screens = new Screenshots();

beforeAll(async () => {
  await assertTmuxInstalled();
  workDir = await mkdtemp(join(tmpdir(), 'atm-teller-e2e-'));
  server = await spawnBankServer(['--allow-registration'], join(workDir, 'bank-data'));
  ca = await readFile(server.caPath, 'utf8');

  // The customers and their opening balances come from outside the ATM under test.
  for (const user of CUSTOMERS) {
    await openFundedAccount({
      port: server.port,
      ca,
      terminal: server.terminal,
      user,
      password: PASSWORD,
      openingCents: OPENING_CENTS,
    });
  }
  // The teller is an operator's doing, as the README says.
  const created = await runCli(BIN.bankServer, [...createTellerArgs(TELLER, PASSWORD), '--data-dir', server.dataDir]);
  expect(created, created.stderr).toMatchObject({ code: 0 });

  const counter = await enrolTestTerminal(server.dataDir, TERMINAL_ID);
  command = atmCommandLine({
    port: server.port,
    caPath: server.caPath,
    terminal: counter,
    stderrPath: join(workDir, 'atm.stderr'),
  });
});

afterAll(() => endRun({ terminal, server, screens, workDir }));

async function balanceOf(user: string): Promise<unknown> {
  if (!server) throw new Error('no server');
  return outOfBand({ port: server.port, ca, user, password: PASSWORD }, async (client) => {
    const answer = (await client.call({ op: 'balance' })) as { result?: { balanceCents?: number } };
    return answer.result?.balanceCents;
  });
}

async function serve(tty: TmuxTerminal, customer: string): Promise<string> {
  await tty.press('1');
  await tty.waitFor('The customer enters their user name and password.');
  await tty.fill(customer);
  await tty.type(PASSWORD);
  await tty.waitFor('•'.repeat(PASSWORD.length));
  await tty.press('Enter');
  return tty.waitFor(`Serving ${customer} · teller ${TELLER}`);
}

describe('the atm binary at the counter, against a real bank', () => {
  it('a teller serves two customers in a row at one terminal', async () => {
    terminal = await startAtm(command);
    const tty = terminal;
    await tty.waitFor('Welcome to Secure ATM.');
    await tty.press('1');
    await tty.waitFor('User name');
    await tty.fill(TELLER, PASSWORD);
    const desk = await screens.shot(tty, 'Who is next at the counter?', 'Teller menu', 20_000);
    expectFramed(desk, 'teller menu');
    expect(desk).toContain('1 Serve a customer');
    expect(desk).toContain('2 Open an account for a customer');
    expect(desk).not.toContain('Withdraw cash');

    // The first customer: a deposit.
    const serving = await serve(tty, 'bob');
    screens.add('Serving a customer', serving);
    expectFramed(serving, 'serving menu');
    expect(serving).toContain('Finish with this customer');
    await tty.press('3');
    await tty.waitFor('How much are you depositing?');
    await tty.fill('12.34');
    await tty.waitFor('Deposit $12.34');
    await tty.press('Enter');
    const receipt = await screens.shot(tty, 'Deposit received', 'Receipt at the counter', 20_000);
    expectFramed(receipt, 'counter receipt');
    expect(rowValue(receipt, 'Customer')).toBe('bob');
    expect(rowValue(receipt, 'Teller')).toBe(TELLER);
    expect(rowValue(receipt, 'New balance')).toBe('$112.34');
    expect(rowValue(receipt, 'Terminal')).toBe(TERMINAL_ID);
    await tty.press('Enter');
    await tty.waitFor('Finish with this customer');
    await tty.press('7');
    expectFramed(await tty.waitFor('Finished with bob. Who is next?'), 'after release');

    // The second customer at the same terminal, in the same teller session: a withdrawal.
    await serve(tty, 'dora');
    await tty.press('2');
    await tty.waitFor('Other amount');
    await tty.press('1'); // $20
    await tty.waitFor('Withdraw $20.00');
    await tty.press('Enter');
    const cash = await tty.waitFor('Please take your cash', 20_000);
    expectFramed(cash, 'counter withdrawal receipt');
    expect(rowValue(cash, 'Customer')).toBe('dora');
    expect(rowValue(cash, 'Teller')).toBe(TELLER);
    expect(rowValue(cash, 'New balance')).toBe('$80.00');
    await tty.press('Enter');
    await tty.waitFor('Finish with this customer');
    await tty.press('7');
    await tty.waitFor('Finished with dora. Who is next?');

    // What the screens said is what the bank holds; the teller's own account moved nothing.
    expect(await balanceOf('bob')).toBe(OPENING_CENTS + 1_234);
    expect(await balanceOf('dora')).toBe(OPENING_CENTS - 2_000);

    await tty.press('5'); // Log out
    await tty.waitFor('You are logged out.');
    await tty.press('3');
    await tty.waitFor('ATM-EXITED 0');
    const stderr = await readFile(join(workDir, 'atm.stderr'), 'utf8');
    expect(stderr).not.toMatch(/Error|\n\s+at /);
  });
});
