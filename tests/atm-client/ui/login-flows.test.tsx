import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

/** alice (two-factor on) has given her password and the ATM asks for her code. */
async function atCodeScreen() {
  const atm = await renderAtm();
  atm.bank.addAccount('alice', { totpCode: '135790' });
  await atm.submitLogin('alice', 'Correct-Horse-9');
  await atm.waitFor('Enter the 6-digit code');
  return atm;
}

/** From an error on the code screen: back to it, and the right code logs in. */
async function retryCode(atm: Awaited<ReturnType<typeof renderAtm>>): Promise<void> {
  await atm.pick(KEY.escape, 'Enter the 6-digit code');
  await atm.enter('135790', 'Main menu');
}

/** The bank saw alice log in with these codes, in order (undefined: with her password alone). */
function expectCodesSeen(atm: Awaited<ReturnType<typeof renderAtm>>, codes: Array<string | undefined>): void {
  expect(atm.bank.callsOf('login').map((call) => call.args[0])).toEqual(codes.map((totp) => ({ user: 'alice', totp })));
}

describe('welcome and login', () => {
  it('logs in with a masked password and shows the main menu', async () => {
    const atm = await renderAtm({ terminal: 'ATM-0001' });
    atm.bank.addAccount('alice', { balanceCents: 1000 });
    expect(atm.frame()).toContain('Open an account');
    await atm.pick('1', 'User name');
    await atm.fill('Alice');
    await atm.type('Correct-Horse-9');
    const typed = atm.frame();
    expect(typed).toContain('alice');
    expect(typed).toContain('•'.repeat('Correct-Horse-9'.length));
    expect(typed).not.toContain('Correct-Horse-9');
    const menu = await atm.pick(KEY.enter, 'Main menu');
    expect(menu).toContain('Hello, alice');
    expect(menu).toContain('alice @ ATM-0001');
    for (const item of ['Balance', 'Withdraw cash', 'Deposit', 'Transfer', 'Mini-statement', 'Log out']) {
      expect(menu).toContain(item);
    }
    expect(atm.bank.callsOf('login')).toEqual([{ op: 'login', args: [{ user: 'alice', totp: undefined }] }]);
  });

  it('keys that arrive in one chunk (a fast typist, a script over a pty) still work', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice', { balanceCents: 2500 });
    await atm.type('1alice\rCorrect-Horse-9\r');
    await atm.waitFor('Main menu');
    await atm.type('1');
    await atm.waitFor('$25.00');
  });

  it('says a wrong password in plain words and goes back to the login form', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.press(KEY.down, KEY.up, KEY.enter);
    await atm.waitFor('User name');
    await atm.type('alice');
    await atm.press(KEY.tab);
    const error = await atm.enter('wrong-password', 'not recognised');
    expect(error).toContain('User name or password not recognised');
    expect(error).toContain('Code: AUTH_FAILED');
    expect(error).not.toMatch(/\bat .*\.(?:js|ts):\d+/);
    const form = await atm.pick(KEY.enter, 'Password');
    expect(form).toContain('Log in');
    expect(atm.bank.sessions).toHaveLength(0);
  });

  it('checks the user name before calling the bank', async () => {
    const atm = await renderAtm();
    await atm.submitLogin('9x', 'whatever');
    await atm.waitFor('That user name is 2 characters long');
    expect(atm.bank.callsOf('login')).toHaveLength(0);
  });

  it('asks for the two-factor code when the bank says TOTP_REQUIRED, then logs in', async () => {
    const atm = await atCodeScreen();
    await atm.type('12a');
    expect(atm.frame()).toMatch(/Code\s+12\b/);
    await atm.pick(KEY.enter, 'The code has 6 digits');
    await atm.enter('4567', 'That code is not right');
    await retryCode(atm);
    expectCodesSeen(atm, [undefined, '124567', '135790']);
  });

  it('says a two-factor code was already used (TOTP_INVALID, reason USED) and to wait for the next', async () => {
    const atm = await atCodeScreen();
    atm.bank.failNext('login', 'TOTP_INVALID', 'code already used', { reason: 'USED' });
    const used = await atm.enter('135790', 'That code was already used');
    expect(flat(used)).toContain('Wait for the next code');
    expect(used).not.toContain('That code is not right');
    // Back on the code screen, the next code logs in.
    await retryCode(atm);
    expectCodesSeen(atm, [undefined, '135790', '135790']);
  });

  it('Esc on the login form returns to the welcome screen', async () => {
    const atm = await renderAtm();
    await atm.pick('1', 'User name');
    await atm.pick(KEY.escape, 'Welcome to Secure ATM');
  });

  it('shows the connection error screen when the bank cannot be reached', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    atm.bank.failNext('login', 'CONNECT_FAILED');
    await atm.submitLogin('alice', 'Correct-Horse-9');
    await atm.waitFor('Cannot reach the bank');
    await atm.pick(KEY.enter, 'Welcome to Secure ATM');
  });

  it('shows "please wait" while the bank answers and ignores keys meanwhile', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    const gate = atm.bank.hold('login');
    await atm.submitLogin('alice', 'Correct-Horse-9');
    await atm.waitFor('Connecting to the bank');
    await atm.press(KEY.enter, KEY.escape);
    gate.release();
    await atm.waitFor('Main menu');
    expect(atm.bank.callsOf('login')).toHaveLength(1);
  });
});

describe('open an account', () => {
  it('shows the password policy as it is typed and opens the account', async () => {
    const atm = await renderAtm();
    await atm.pick('2', 'Choose a user name');
    expect(atm.frame()).toContain('at least 12 characters');
    await atm.fill('carol');
    await atm.type('short');
    const partial = atm.frame();
    expect(partial).toContain('✓ a lower case letter');
    expect(partial).toContain('· at least 12 characters');
    await atm.press(KEY.enter);
    await atm.enter('short', 'does not meet every rule');
    expect(atm.bank.callsOf('register')).toHaveLength(0);

    // Back to the password field: clear it and type a strong one.
    await atm.press(KEY.up);
    await atm.press(...Array(5).fill(KEY.backspace));
    await atm.type('Long-Enough-Pass1');
    expect(atm.frame()).toContain('✓ at least 12 characters');
    await atm.press(KEY.enter, ...Array(5).fill(KEY.backspace));
    await atm.enter('Long-Enough-Pass2', 'two passwords are different');
    await atm.press(KEY.backspace);
    const menu = await atm.enter('1', 'Main menu');
    expect(menu).toContain('Your account is open. Welcome, carol!');
    expect(atm.bank.accounts.get('carol')?.password).toBe('Long-Enough-Pass1');
  });

  it('explains a refused registration', async () => {
    const atm = await renderAtm();
    atm.bank.registrationOpen = false;
    await atm.pick('2', 'Choose a user name');
    await atm.fill('carol', 'Long-Enough-Pass1');
    await atm.enter('Long-Enough-Pass1', 'Accounts cannot be opened here');
    await atm.pick(KEY.escape, 'Choose a user name');
  });
});
