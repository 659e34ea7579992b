import { cleanup } from 'ink-testing-library';
import { afterEach, describe, it } from 'vitest';
import { MIN_COLUMNS, MIN_ROWS } from '../../../atm-client/ui/hooks/use-terminal-size.js';
import { atSmallest, expectFits, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

describe(`every screen fits ${MIN_COLUMNS}×${MIN_ROWS}`, () => {
  it('welcome, register with a problem, login', async () => {
    const atm = await renderAtm();
    atSmallest(atm.ui.stdout);
    expectFits(await atm.waitFor('Welcome to Secure ATM'), 'welcome');
    await atm.press('2');
    await atm.type('bob smith\rshort\rshort\r');
    expectFits(await atm.waitFor('has no spaces'), 'register');
    await atm.press(KEY.escape);
    await atm.press('1');
    await atm.type('x\ry\r');
    expectFits(await atm.waitFor('characters long'), 'login');
  });

  it('menus (terminal, remote with a banner), withdraw, statement, password, contact, two-factor', async () => {
    const atm = await renderAtm();
    atSmallest(atm.ui.stdout);
    atm.bank.addAccount('bob', { balanceCents: 100 });
    for (let i = 0; i < 6; i++) atm.bank.post(atm.bank.addAccount(`x${i}`), 'deposit', 1, null);
    atm.bank.addAccount('alice', { balanceCents: 100_000 });
    for (let i = 0; i < 6; i++) {
      const alice = atm.bank.accounts.get('alice');
      if (alice) atm.bank.post(alice, 'transfer_out', -100, 'a-rather-long-user-name');
    }
    await atm.login();
    expectFits(atm.frame(), 'menu');
    await atm.pick('2', 'Other amount');
    await atm.press('6');
    await atm.type('-1\r');
    expectFits(await atm.waitFor('cannot be negative'), 'withdraw amount');
    await atm.press(KEY.escape, KEY.escape);
    await atm.press('5');
    expectFits(await atm.waitFor('older'), 'mini-statement');
    await atm.press(KEY.escape);
    await atm.press('6');
    await atm.type('a\rb\rb\r');
    expectFits(await atm.waitFor('does not meet every rule'), 'change password');
    await atm.press(KEY.escape);
    await atm.press('7');
    await atm.type('nope\r\r');
    expectFits(await atm.waitFor('looks like'), 'contact');
    await atm.press(KEY.escape);
    await atm.press('8');
    await atm.type('wrong\r');
    expectFits(await atm.waitFor('That password is not right'), 'two-factor password');
  });

  it('the remote menu with a banner, and a long error', async () => {
    const atm = await renderAtm({ simulateDispenseFailure: true });
    atSmallest(atm.ui.stdout);
    atm.bank.terminal = null;
    await atm.press('2');
    await atm.type('carol.the-new-customer\rVery-Strong-Pass9\rVery-Strong-Pass9\r');
    expectFits(await atm.waitFor('Your account is open'), 'remote menu with banner');
  });

  it('a failed reversal, the longest error screen', async () => {
    const atm = await renderAtm({ simulateDispenseFailure: true });
    atSmallest(atm.ui.stdout);
    atm.bank.addAccount('alice', { balanceCents: 100_000 });
    await atm.login();
    atm.bank.failNext('reverse', 'NOT_REVERSIBLE');
    await atm.pick('2', 'Other amount');
    await atm.press('1', KEY.enter);
    expectFits(await atm.waitFor('Quote withdrawal'), 'failed reversal');
  });
});
