import { cleanup } from 'ink-testing-library';
import { afterEach, describe, it } from 'vitest';
import { MIN_COLUMNS, MIN_ROWS } from '../../../atm-client/ui/hooks/use-terminal-size.js';
import { atSmallest, expectFits, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

/** A screen to open with `key`, what to type there, what it then shows, and its name in a failure. */
type Visit = [key: string, typed: string, shows: string, name: string];

/** Opens each screen in turn from where the ATM stands, Esc back between them; each must fit. */
async function visitEach(atm: Awaited<ReturnType<typeof renderAtm>>, visits: Visit[]): Promise<void> {
  for (const [index, [key, typed, shows, name]] of visits.entries()) {
    if (index > 0) await atm.press(KEY.escape);
    await atm.press(key);
    if (typed) await atm.type(typed);
    expectFits(await atm.waitFor(shows), name);
  }
}

describe(`every screen fits ${MIN_COLUMNS}×${MIN_ROWS}`, () => {
  it('welcome, register with a problem, login', async () => {
    const atm = await renderAtm();
    atSmallest(atm.ui.stdout);
    expectFits(await atm.waitFor('Welcome to Secure ATM'), 'welcome');
    await visitEach(atm, [
      ['2', 'bob smith\rshort\rshort\r', 'has no spaces', 'register'],
      ['1', 'x\ry\r', 'characters long', 'login'],
    ]);
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
    await visitEach(atm, [
      ['5', '', 'older', 'mini-statement'],
      ['6', 'a\rb\rb\r', 'does not meet every rule', 'change password'],
      ['7', 'nope\r\r', 'looks like', 'contact'],
      ['8', 'wrong\r', 'That password is not right', 'two-factor password'],
    ]);
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
