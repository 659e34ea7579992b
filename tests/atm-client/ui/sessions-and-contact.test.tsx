import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

describe('remote and terminal sessions', () => {
  it('a remote session is offered only what it may do, and says why cash is missing', async () => {
    const atm = await renderAtm();
    atm.bank.terminal = null;
    atm.bank.addAccount('alice', { balanceCents: 1000 });
    await atm.login();
    const menu = atm.frame();
    expect(menu).not.toContain('Withdraw cash');
    expect(menu).not.toContain('Deposit');
    expect(flat(menu)).toContain('Cash needs an enrolled ATM');
    expect(menu).toMatch(/SECURE ATM · Main menu\s+alice\s+│/);
    // The numbers follow the shorter menu: 2 is Transfer here.
    await atm.pick('2', 'Who would you like to send money to?');
  });

  it("a terminal session shows the terminal's id, from the session itself", async () => {
    const atm = await renderAtm();
    atm.bank.terminal = 'ATM-CERT-7';
    atm.bank.addAccount('alice');
    await atm.login();
    const menu = atm.frame();
    expect(menu).toContain('alice @ ATM-CERT-7');
    expect(menu).toContain('Withdraw cash');
    expect(menu).not.toContain('Cash needs an enrolled ATM');
  });
});

describe('two-factor status from the balance', () => {
  it('the menu follows what the balance result says', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.login();
    expect(atm.frame()).toContain('Set up two-factor login');
    // Turned on elsewhere (another session): the next balance tells this one.
    const account = atm.bank.accounts.get('alice');
    if (account) account.totpCode = '135790';
    await atm.pick('1', 'Available balance');
    expect(await atm.pick(KEY.escape, 'Main menu')).toContain('Two-factor login: on');
  });
});

describe('update e-mail and phone', () => {
  it('checks the fields, sends what was filled in and confirms', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.login();
    await atm.pick('7', 'Where can the bank reach you?');
    await atm.press(KEY.enter, KEY.enter);
    await atm.waitFor('Fill in an e-mail address, a phone number, or both.');
    await atm.press(KEY.up);
    await atm.type('alice-at-example');
    await atm.press(KEY.enter, KEY.enter);
    await atm.waitFor('looks like name@example.com');
    await atm.press(KEY.up, ...Array(16).fill(KEY.backspace));
    await atm.fill('alice@example.com');
    const done = await atm.enter('+1 (555) 010-0199', 'Contact details saved');
    expect(done).toContain('E-mail: alice@example.com');
    expect(done).toContain('Phone: +1 (555) 010-0199');
    expect(atm.bank.callsOf('update_contact')).toEqual([
      { op: 'update_contact', args: [{ email: 'alice@example.com', phone: '+1 (555) 010-0199' }] },
    ]);
  });

  it('a phone number alone is enough, and a bad one is explained', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.login();
    await atm.pick('7', 'Where can the bank reach you?');
    await atm.press(KEY.tab);
    await atm.enter('12', 'A phone number is digits');
    await atm.enter('3456', 'Contact details saved');
    expect(atm.bank.callsOf('update_contact')).toEqual([{ op: 'update_contact', args: [{ phone: '123456' }] }]);
  });
});
