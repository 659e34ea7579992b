import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_TOTP_CODE } from '../../helpers/fake-bank.js';
import { atSmallest, expectFits, flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

const TELLER_PASSWORD = 'Teller-Pass-42!';
const CUSTOMER_PASSWORD = 'Correct-Horse-9';

/** A teller logged in at ATM-0001, with customers bob (5.00) and dora (two-factor on, 20.00). */
async function atCounter() {
  const atm = await renderAtm({ terminal: 'ATM-0001' });
  atm.bank.addAccount('tess', { password: TELLER_PASSWORD, role: 'teller' });
  atm.bank.addAccount('ted', { password: TELLER_PASSWORD, role: 'teller' });
  atm.bank.addAccount('bob', { balanceCents: 500 });
  atm.bank.addAccount('dora', { balanceCents: 2_000, totpCode: FAKE_TOTP_CODE });
  await atm.login('tess', TELLER_PASSWORD);
  return atm;
}

async function serve(atm: Awaited<ReturnType<typeof atCounter>>, user: string, password = CUSTOMER_PASSWORD) {
  await atm.pick('1', 'Serve a customer');
  await atm.fill(user, password);
}

describe('teller mode', () => {
  it('a teller serving no one sees the counter menu, not the customer menu', async () => {
    const atm = await atCounter();
    const screen = flat(atm.frame());
    expect(screen).toContain('Who is next at the counter?');
    expect(screen).toContain('› 1 Serve a customer');
    expect(screen).toContain('2 Open an account for a customer');
    expect(screen).not.toContain('Withdraw cash');
    expect(screen).not.toContain('Serving');
  });

  it('serves a customer: banner, the customer menu, a receipt naming both, finish, the next customer', async () => {
    const atm = await atCounter();
    await serve(atm, 'bob');
    const menu = flat(await atm.waitFor('Finish with this customer'));
    expect(menu).toContain('Serving bob · teller tess');
    expect(menu).toContain('What would bob like to do?');
    expect(atm.bank.callsOf('serve')).toEqual([{ op: 'serve', args: ['bob', undefined] }]);

    // Deposit 10.00 for bob: the money is bob's, the receipt names both.
    await atm.pick('3', 'Deposit');
    await atm.enter('10', /Deposit \$10\.00/);
    const receipt = await atm.pick(KEY.enter, 'Receipt');
    expect(receipt).toMatch(/Customer\s+bob/);
    expect(receipt).toMatch(/Teller\s+tess/);
    expect(receipt).toMatch(/New balance\s+\$15\.00/);
    expect(receipt).toContain('Serving bob · teller tess');
    expect(atm.bank.accounts.get('bob')?.balanceCents).toBe(1_500);
    expect(atm.bank.accounts.get('tess')?.balanceCents).toBe(0);
    await atm.press(KEY.enter);

    // Finish with bob (item 7 at a terminal): release goes out, back to the counter menu.
    await atm.waitFor('Finish with this customer');
    await atm.press('7');
    const after = flat(await atm.waitFor('Finished with bob'));
    expect(after).toContain('Serve a customer');
    expect(after).not.toContain('Serving bob');
    expect(atm.bank.callsOf('release')).toHaveLength(1);

    // The next customer at the same terminal, with a code.
    await serve(atm, 'dora');
    await atm.waitFor("Customer's code");
    await atm.fill(FAKE_TOTP_CODE);
    expect(flat(await atm.waitFor('Serving dora · teller tess'))).toContain('Finish with this customer');
    expect(await atm.pick('1', 'Available balance')).toContain('$20.00');
  });

  it('a wrong customer password is an error and the teller is back at the serve screen, serving no one', async () => {
    const atm = await atCounter();
    await serve(atm, 'bob', 'not-bobs-password');
    await atm.waitFor('User name or password not recognised');
    await atm.pick(KEY.enter, 'The customer enters their user name and password.');
    await atm.press(KEY.escape);
    expect(flat(await atm.waitFor('Main menu'))).toContain('Serve a customer');
  });

  it('three wrong customer passwords lock the customer, not the teller', async () => {
    const atm = await atCounter();
    for (const attempt of [1, 2]) {
      await serve(atm, 'bob', `wrong-${attempt}`);
      await atm.waitFor('User name or password not recognised');
      await atm.press(KEY.escape, KEY.escape);
      await atm.waitFor('Who is next at the counter?');
    }
    await serve(atm, 'bob', 'wrong-3');
    await atm.waitFor('Account locked');
    await atm.press(KEY.escape, KEY.escape);
    await atm.waitFor('Who is next at the counter?');
    expect(atm.bank.session.closed).toBe(false);
  });

  it('when the bank stops serving the customer, the ATM goes back to the counter menu', async () => {
    const atm = await atCounter();
    await serve(atm, 'bob');
    await atm.waitFor('Serving bob');
    atm.bank.failNext('balance', 'ACCOUNT_LOCKED');
    await atm.pick('1', 'Account locked');
    await atm.press(KEY.enter);
    const menu = flat(await atm.waitFor('Who is next at the counter?'));
    expect(menu).not.toContain('Serving bob');
  });

  it('a teller cannot serve a teller', async () => {
    const atm = await atCounter();
    await serve(atm, 'ted', TELLER_PASSWORD);
    await atm.waitFor('User name or password not recognised');
    expect(atm.bank.session.servedCustomer).toBeNull();
  });

  it('opens an account for a customer with the live password checklist, even with registration closed', async () => {
    const atm = await atCounter();
    atm.bank.registrationOpen = false;
    await atm.pick('2', 'New customer account');
    await atm.fill('carol');
    await atm.type('short');
    expect(atm.frame()).toContain('· at least 12 characters');
    await atm.type('-And-Long-9!');
    expect(atm.frame()).toContain('✓ at least 12 characters');
    await atm.press(KEY.enter);
    await atm.fill('short-And-Long-9!');
    expect(flat(await atm.waitFor('The account carol is open'))).toContain('Serve a customer');
    expect(atm.bank.accounts.get('carol')?.password).toBe('short-And-Long-9!');
    // Opening an account serves no one.
    expect(atm.bank.session.servedCustomer).toBeNull();
  });

  it('the idle countdown releases the customer first, then ends the teller session', async () => {
    const atm = await atCounter();
    await serve(atm, 'bob');
    await atm.waitFor('Serving bob');
    atm.clock.advance(300_000);
    const released = flat(await atm.waitFor('Finished with bob: the session was idle.'));
    expect(released).toContain('Serve a customer');
    expect(atm.bank.callsOf('release')).toHaveLength(1);
    expect(atm.bank.session.loggedOut).toBe(false);
    atm.clock.advance(300_000);
    await atm.waitFor('You were logged out because the session was idle.');
    expect(atm.bank.session.loggedOut).toBe(true);
  });

  it('the serving screens fit the smallest window', async () => {
    const atm = await atCounter();
    atSmallest(atm.ui.stdout);
    const fits = (screen: string, name: string) => expectFits(screen, name, false);
    await atm.press('2');
    await atm.type('a-rather-long-customer-name-here');
    fits(await atm.waitFor('New customer account'), 'open account');
    await atm.press(KEY.escape);
    await serve(atm, 'bob');
    fits(await atm.waitFor('Finish with this customer'), 'serving menu');
    await atm.press('3');
    await atm.enter('10', /Deposit \$10\.00/);
    await atm.press(KEY.enter);
    fits(await atm.waitFor(/Teller\s+tess/), 'receipt at the counter');
  });

  it('the longest screens fit the smallest window with the serving banner too', async () => {
    const atm = await renderAtm({ terminal: 'ATM-0001', simulateDispenseFailure: true });
    atm.bank.addAccount('tess', { password: TELLER_PASSWORD, role: 'teller' });
    const bob = atm.bank.addAccount('a-rather-long-customer-name-xyz', { balanceCents: 100_000 });
    for (let i = 0; i < 12; i++) atm.bank.post(bob, 'transfer_out', -100, 'a-rather-long-user-name');
    await atm.login('tess', TELLER_PASSWORD);
    atSmallest(atm.ui.stdout);
    const fits = (screen: string, name: string) => expectFits(screen, name);
    await serve(atm, 'a-rather-long-customer-name-xyz');
    fits(await atm.waitFor('Finish with this customer'), 'serving menu, long name');
    await atm.press('5');
    fits(await atm.waitFor('older'), 'mini-statement while serving');
    await atm.pick(KEY.escape, 'Finish with this customer');
    atm.bank.failNext('reverse', 'NOT_REVERSIBLE');
    await atm.pick('2', 'Other amount');
    await atm.press('1', KEY.enter);
    fits(await atm.waitFor('Quote withdrawal'), 'failed reversal while serving');
  });
});
