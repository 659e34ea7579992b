import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { CashDispenser } from '../../../atm-client/ui/dispenser.js';
import { confirmWithdrawal, flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

async function loggedIn(options: Parameters<typeof renderAtm>[0] = {}, balanceCents = 100_000) {
  const atm = await renderAtm(options);
  atm.bank.addAccount('alice', { balanceCents });
  atm.bank.addAccount('bob', { balanceCents: 500 });
  await atm.login();
  return atm;
}

describe('balance', () => {
  it('shows the balance as currency', async () => {
    const atm = await loggedIn({}, 123_456);
    const screen = await atm.pick('1', 'Available balance');
    expect(screen).toContain('$1,234.56');
    expect(screen).toContain('as of 2025-01-15 09:30:00 UTC');
    await atm.pick(KEY.escape, 'Main menu');
  });

  it('an error while loading leads back to the menu', async () => {
    const atm = await loggedIn();
    atm.bank.failNext('balance', 'SERVER_BUSY');
    await atm.pick('1', 'The bank is busy');
    await atm.pick(KEY.enter, 'Main menu');
  });
});

/** Logged in and at the withdraw screen's amounts. */
async function atWithdraw(options: Parameters<typeof renderAtm>[0] = {}, balanceCents = 100_000) {
  const atm = await loggedIn(options, balanceCents);
  await atm.pick('2', 'Other amount');
  return atm;
}

describe('withdraw', () => {
  it('a quick amount withdraws, dispenses and prints a receipt', async () => {
    const atm = await atWithdraw({ terminal: 'ATM-0001' });
    expect(atm.frame()).toMatch(/\$20\.00[\s\S]*\$40\.00[\s\S]*\$60\.00[\s\S]*\$100\.00[\s\S]*\$200\.00/);
    await atm.press(KEY.down, KEY.enter);
    await atm.waitFor('Withdraw $40.00 in cash from your account?');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
    const receipt = await atm.pick(KEY.enter, 'Receipt');
    expect(receipt).toContain('Please take your cash');
    expect(receipt).toMatch(/Withdrawn\s+\$40\.00/);
    expect(receipt).toMatch(/Transaction\s+T0000000000\d\d/);
    expect(receipt).toMatch(/New balance\s+\$960\.00/);
    expect(receipt).toMatch(/Time\s+2025-01-15 09:30:00 UTC/);
    expect(receipt).toMatch(/Terminal\s+ATM-0001/);
    expect(atm.bank.callsOf('withdraw')).toEqual([{ op: 'withdraw', args: [4000] }]);
    expect(atm.bank.callsOf('reverse')).toHaveLength(0);
    await atm.pick(KEY.enter, 'Main menu');
  });

  it('number keys pick a quick amount directly', async () => {
    const atm = await atWithdraw();
    await atm.pick('5', 'Withdraw $200.00 in cash');
    await confirmWithdrawal(atm, 20000);
  });

  it('a custom amount is validated before it is sent, and sent as cents', async () => {
    const atm = await atWithdraw();
    await atm.pick('6', 'Amount $');
    await atm.pick(KEY.enter, 'Enter an amount.');
    await atm.enter('12.345', 'at most two digits');
    await atm.press(KEY.backspace);
    await atm.type('x'); // refused by the field
    expect(atm.frame()).toMatch(/Amount \$\s+12\.34/);
    await atm.pick(KEY.enter, 'Withdraw $12.34 in cash');
    await confirmWithdrawal(atm, 1234);
  });

  it('zero is refused on the screen', async () => {
    const atm = await atWithdraw();
    await atm.pick('6', 'Amount $');
    await atm.enter('0.00', 'more than $0.00');
    await atm.pick(KEY.escape, 'Other amount');
    await atm.pick(KEY.escape, 'Main menu');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
  });

  it('insufficient funds gets its own error screen and nothing is dispensed', async () => {
    let dispensed = 0;
    const dispenser: CashDispenser = {
      dispense: async () => {
        dispensed++;
        return { ok: true };
      },
    };
    const atm = await atWithdraw({ dispenser }, 3000);
    await atm.press('2', KEY.enter); // confirm
    const error = await atm.waitFor('Insufficient funds');
    expect(flat(error)).toContain('Your balance is too low');
    expect(error).toContain('Code: INSUFFICIENT_FUNDS');
    expect(dispensed).toBe(0);
    await atm.pick(KEY.escape, 'How much would you like to withdraw?');
  });

  it('the daily limit gets its own error screen', async () => {
    const atm = await atWithdraw();
    atm.bank.failNext('withdraw', 'LIMIT_EXCEEDED');
    await atm.press('1', KEY.enter); // confirm
    await atm.waitFor('Daily withdrawal limit reached');
  });

  it('when the dispenser fails the ATM reverses with NOT_DISPENSED and says the money is back', async () => {
    const atm = await atWithdraw({ simulateDispenseFailure: true });
    await atm.press('3', KEY.enter); // confirm
    const screen = await atm.waitFor('Your money is back in your account');
    expect(screen).toContain('could not be dispensed');
    expect(screen).toMatch(/Returned\s+\$60\.00/);
    expect(screen).toMatch(/New balance\s+\$1,000\.00/);
    const [withdrawal] = atm.bank.callsOf('withdraw');
    expect(withdrawal?.args).toEqual([6000]);
    const reverse = atm.bank.callsOf('reverse');
    expect(reverse).toHaveLength(1);
    const reversedTx = reverse[0]?.args[0];
    expect(reverse[0]?.args[1]).toBe('NOT_DISPENSED');
    expect(screen).toMatch(new RegExp(`Reverses\\s+${String(reversedTx)}`));
    expect(atm.bank.accounts.get('alice')?.balanceCents).toBe(100_000);
  });

  it('a dispenser that throws is treated as a failed dispense', async () => {
    const dispenser: CashDispenser = {
      dispense: async () => {
        throw new Error('motor stalled');
      },
    };
    const atm = await atWithdraw({ dispenser });
    await atm.press('1', KEY.enter); // confirm
    await atm.waitFor('Your money is back in your account');
    expect(atm.frame()).not.toContain('motor stalled');
  });

  it('a failed reversal names the withdrawal to quote to the bank', async () => {
    const atm = await atWithdraw({ simulateDispenseFailure: true });
    atm.bank.failNext('reverse', 'NOT_REVERSIBLE');
    await atm.press('1', KEY.enter); // confirm
    const screen = await atm.waitFor('cannot be reversed');
    const txId = atm.bank.accounts.get('alice')?.history[0]?.txId ?? 'missing';
    expect(flat(screen)).toContain(`Quote withdrawal ${txId} to the bank`);
  });

  it('the simulated dispenser shows progress while counting', async () => {
    const atm = await atWithdraw({ appDispenser: true });
    const gate = atm.bank.hold('withdraw');
    await atm.press('1', KEY.enter); // confirm
    await atm.waitFor('Withdrawing $20.00');
    gate.release();
    await atm.waitFor('Counting your cash');
    await atm.waitFor('Please take your cash');
  });
});

describe('deposit', () => {
  it('asks for an amount, confirms and prints a receipt', async () => {
    const atm = await loggedIn();
    await atm.pick('3', 'How much are you depositing?');
    await atm.enter('1,250.5', 'Deposit $1,250.50 into your account?');
    await atm.press(KEY.escape);
    // Back at the amount, which is kept for editing.
    await atm.waitFor(/Amount \$\s+1250\.50/);
    await atm.press(...Array(7).fill(KEY.backspace));
    await atm.enter('250.50', 'Deposit $250.50 into your account?');
    const receipt = await atm.pick(KEY.enter, 'Deposit received');
    expect(receipt).toMatch(/Deposited\s+\$250\.50/);
    expect(receipt).toMatch(/New balance\s+\$1,250\.50/);
    expect(atm.bank.callsOf('deposit')).toEqual([{ op: 'deposit', args: [25050] }]);
  });

  it('an amount above the bank maximum gets the INVALID_AMOUNT screen', async () => {
    const atm = await loggedIn();
    atm.bank.maxAmountCents = 10_000;
    await atm.pick('3', 'How much are you depositing?');
    await atm.enter('100.01', 'Deposit $100.01');
    await atm.pick(KEY.enter, 'Amount not accepted');
  });
});

/** Logged in and through the transfer form to its confirm step: each field typed, and what it then shows. */
async function atTransferConfirm(recipient: [typed: string, shows: string], amount: [typed: string, shows: string]) {
  const atm = await loggedIn();
  await atm.pick('4', 'Who would you like to send money to?');
  await atm.enter(...recipient);
  await atm.enter(...amount);
  return atm;
}

describe('transfer', () => {
  it('takes a recipient, an amount and a confirmation', async () => {
    const atm = await atTransferConfirm(['Bob', 'send to bob'], ['75', 'Send $75.00 to bob?']);
    const receipt = await atm.pick(KEY.enter, 'Transfer sent');
    expect(receipt).toMatch(/Transferred\s+\$75\.00/);
    expect(receipt).toMatch(/To\s+bob/);
    expect(receipt).toMatch(/New balance\s+\$925\.00/);
    expect(atm.bank.callsOf('transfer')).toEqual([{ op: 'transfer', args: ['bob', 7500] }]);
    expect(atm.bank.accounts.get('bob')?.balanceCents).toBe(8000);
  });

  it('Esc steps back through the transfer one step at a time', async () => {
    const atm = await atTransferConfirm(['bob', 'send to bob'], ['5', 'Send $5.00 to bob?']);
    await atm.pick(KEY.escape, 'send to bob');
    await atm.pick(KEY.escape, 'Who would you like');
    await atm.pick(KEY.escape, 'Main menu');
    expect(atm.bank.callsOf('transfer')).toHaveLength(0);
  });

  it('an unknown recipient is explained', async () => {
    const atm = await atTransferConfirm(['nobody', 'send to nobody'], ['5', 'Send $5.00']);
    await atm.pick(KEY.enter, 'No such account');
  });
});

describe('mini-statement', () => {
  it('pages through history with next, and back again', async () => {
    const atm = await loggedIn({}, 0);
    const account = atm.bank.accounts.get('alice');
    if (!account) throw new Error('no account');
    for (let i = 1; i <= 12; i++) atm.bank.post(account, 'deposit', i * 100, null);
    const first = await atm.pick('5', '+$12.00');
    expect(first).toContain('page 1');
    expect(first).toContain('+$8.00');
    expect(first).not.toContain('+$7.00');
    expect(first).toContain('→ or n older');
    const second = await atm.pick(KEY.right, '+$7.00');
    expect(second).toContain('page 2');
    expect(second).toContain('+$3.00');
    expect(second).not.toContain('+$8.00');
    const third = await atm.pick('n', 'end of statement');
    expect(third).toContain('page 3');
    expect(third).toContain('+$1.00');
    expect(third).not.toContain('→ or n older');
    await atm.press(KEY.right); // nothing older: stays
    await atm.pick(KEY.left, '+$7.00');
    const queries = atm.bank.callsOf('history').map((call) => call.args[0]);
    const cursor = account.history[4]?.txId;
    expect(queries.slice(0, 2)).toEqual([{ limit: 5 }, { limit: 5, before: cursor }]);
    expect(queries).toHaveLength(4);
    await atm.pick(KEY.escape, 'Main menu');
  });

  it('says when there are no transactions', async () => {
    const atm = await loggedIn({}, 0);
    await atm.pick('5', 'No transactions yet.');
  });
});

describe('change password', () => {
  it('checks the policy, then changes the password', async () => {
    const atm = await loggedIn();
    await atm.pick('6', 'Current password');
    await atm.fill('Correct-Horse-9', 'weak');
    await atm.enter('weak', 'does not meet every rule');
    expect(atm.bank.callsOf('change_password')).toHaveLength(0);
    await atm.press(KEY.up, ...Array(4).fill(KEY.backspace));
    await atm.fill('Brand-New-Pass7');
    await atm.press(...Array(4).fill(KEY.backspace));
    await atm.enter('Brand-New-Pass7', 'Password changed');
    expect(atm.bank.callsOf('change_password')).toEqual([
      { op: 'change_password', args: ['Correct-Horse-9', 'Brand-New-Pass7'] },
    ]);
    expect(atm.frame()).not.toContain('Brand-New-Pass7');
    await atm.pick(KEY.enter, 'Main menu');
  });

  it('a wrong current password is explained', async () => {
    const atm = await loggedIn();
    await atm.pick('6', 'Current password');
    await atm.fill('Not-The-Pass1', 'Brand-New-Pass7', 'Brand-New-Pass7');
    // Said in place, without blaming a user name (there is none on this screen).
    const screen = await atm.waitFor('Your current password is not right');
    expect(screen).not.toContain('User name');
    expect(screen).toContain('Current password');
    expect(atm.bank.callsOf('change_password')).toHaveLength(1);
  });
});
