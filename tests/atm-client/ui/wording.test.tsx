import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { wrapWords } from '../../../atm-client/ui/text-wrap.js';
import { flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

const PASSWORD = 'Correct-Horse-9';

async function loggedIn() {
  const atm = await renderAtm();
  atm.bank.addAccount('alice', { balanceCents: 100_000 });
  atm.bank.addAccount('bob', { balanceCents: 500 });
  await atm.login();
  return atm;
}

/** Lines inside the frame whose text starts with a blank: what a wrap at a space leaves. */
function blankStarts(screen: string): string[] {
  return screen.split('\n').filter((line) => /^│ {2}[A-Za-z]/.test(line));
}

describe('wrapping', () => {
  it('breaks at spaces and drops them; a word longer than a line is cut', () => {
    expect(wrapWords('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapWords('abcdefghijk x', 5)).toEqual(['abcde', 'fghij', 'k x']);
    expect(wrapWords('a\nb', 10)).toEqual(['a', 'b']);
    for (const line of wrapWords('The connection to the bank dropped while nothing was in progress.', 20)) {
      expect(line.startsWith(' ')).toBe(false);
      expect(line.length).toBeLessThanOrEqual(20);
    }
  });

  it('no wrapped line of a screen starts with a blank', async () => {
    const atm = await loggedIn();
    const contact = await atm.pick('7', 'Where can the bank reach you?');
    expect(flat(contact)).toContain('Leave a field empty to keep it as it is.');
    expect(blankStarts(contact)).toEqual([]);
    await atm.press(KEY.escape);
    atm.bank.session.dropConnection();
    const lost = await atm.waitFor('Connection lost');
    expect(blankStarts(lost)).toEqual([]);
  });
});

describe('a lost connection', () => {
  it('while idle says nothing was in progress', async () => {
    const atm = await loggedIn();
    atm.bank.session.dropConnection();
    const screen = await atm.waitFor('Connection lost');
    expect(flat(screen)).toContain('while nothing was in progress, so nothing changed');
    expect(flat(screen)).not.toContain('before the bank confirmed');
  });

  it('with a request waiting says it may not have been confirmed', async () => {
    const atm = await loggedIn();
    atm.bank.hold('balance');
    await atm.pick('1', 'Asking the bank');
    atm.bank.session.dropConnection();
    const screen = await atm.waitFor('Connection lost');
    expect(flat(screen)).toContain('before the bank confirmed');
  });
});

describe('refused early, with a reason', () => {
  // Typed into a field and refused there, with a reason, before the bank is asked.
  for (const { name, customer, key, opens, typed, says, notShown, op } of [
    {
      name: "the customer's own name is refused at the recipient step",
      customer: true,
      key: '4',
      opens: 'Who would you like to send money to?',
      typed: 'alice\r',
      says: 'That is your own account',
      notShown: 'How much',
      op: 'transfer',
    },
    {
      name: 'a symbol in a user name at login is named',
      customer: false,
      key: '1',
      typed: 'al!ce\rwhatever\r',
      says: 'A user name cannot contain "!"',
      op: 'login',
    },
    {
      name: '-5 is refused as negative, not taken as 5',
      customer: true,
      key: '3',
      typed: '-5\r',
      says: 'An amount cannot be negative',
      notShown: 'Deposit $5.00',
      op: 'deposit',
    },
  ]) {
    it(name, async () => {
      const atm = customer ? await loggedIn() : await renderAtm();
      if (opens) await atm.pick(key, opens);
      else await atm.press(key);
      await atm.type(typed);
      await atm.waitFor(says);
      if (notShown) expect(atm.frame()).not.toContain(notShown);
      expect(atm.bank.callsOf(op)).toHaveLength(0);
    });
  }

  it('"Bob Smith" is refused for having a space, not turned into bobsmith', async () => {
    const atm = await loggedIn();
    await atm.pick('4', 'Who would you like to send money to?');
    await atm.type('Bob Smith');
    expect(atm.frame()).toContain('bob smith');
    const screen = await atm.pick(KEY.enter, 'has no spaces');
    expect(screen).not.toContain('How much');
  });

  it('once the bank said it opens no accounts, the next try is told at once', async () => {
    const atm = await renderAtm();
    atm.bank.registrationOpen = false;
    await atm.press('2');
    await atm.type('carol\rVery-Strong-Pass9\rVery-Strong-Pass9\r');
    await atm.waitFor('Accounts cannot be opened here');
    await atm.pick(KEY.enter, 'Choose a user name');
    await atm.pick(KEY.escape, 'Welcome to Secure ATM');
    await atm.pick('2', 'Accounts cannot be opened here');
    expect(atm.bank.callsOf('register')).toHaveLength(1);
  });
});

describe('small things', () => {
  it('after a failed login the user name is kept and the cursor is at the password', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.press('1');
    await atm.type('alice\rWrong-Pass-1\r');
    await atm.waitFor('User name or password not recognised');
    const again = await atm.pick(KEY.enter, 'Log in');
    expect(again).toMatch(/User name\s+alice/);
    await atm.type(`${PASSWORD}\r`);
    await atm.waitFor('Main menu');
  });

  it('Esc from the two-factor code screen keeps the user name too', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice', { totpCode: '135790' });
    await atm.press('1');
    await atm.type(`alice\r${PASSWORD}\r`);
    await atm.waitFor('Two-factor code');
    expect(await atm.pick(KEY.escape, 'Log in')).toMatch(/User name\s+alice/);
  });

  it('Esc from the transfer confirm step keeps the amount', async () => {
    const atm = await loggedIn();
    await atm.press('4');
    await atm.type('bob\r');
    await atm.type('12.50\r');
    await atm.waitFor('Send $12.50 to bob?');
    await atm.pick(KEY.escape, /Amount \$\s+12\.50/);
    await atm.pick(KEY.enter, 'Send $12.50 to bob?');
    expect(atm.bank.callsOf('transfer')).toHaveLength(0);
  });

  it('the mini-statement has column headers', async () => {
    const atm = await loggedIn();
    const screen = await atm.pick('5', 'end of statement');
    expect(screen).toMatch(/Date \(UTC\)\s+Transaction\s+Amount\s+Balance/);
    expect(screen).toMatch(/Deposit\s+\+\$1,000\.00\s+\$1,000\.00/);
  });

  it('Tab from the last field of a form goes back to the first', async () => {
    const atm = await renderAtm();
    await atm.press('1');
    await atm.type('ann');
    await atm.press(KEY.tab, KEY.tab);
    await atm.type('x');
    expect(atm.frame()).toMatch(/User name\s+annx/);
  });
});
