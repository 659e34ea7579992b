import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { confirmWithdrawal, flat, KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

async function atWithdraw(setup: { limitCents?: number; maxCents?: number } = {}) {
  const atm = await renderAtm();
  if (setup.limitCents !== undefined) atm.bank.dailyWithdrawalLimitCents = setup.limitCents;
  if (setup.maxCents !== undefined) atm.bank.maxAmountCents = setup.maxCents;
  atm.bank.addAccount('alice', { balanceCents: 500_000 });
  await atm.login();
  await atm.pick('2', 'Other amount');
  return atm;
}

describe('withdrawal confirm step', () => {
  it('a quick amount asks first; Esc goes back to the amounts and nothing is sent', async () => {
    const atm = await atWithdraw();
    const confirm = await atm.pick('2', 'Withdraw $40.00 in cash from your account?');
    expect(confirm).toContain('Enter confirm');
    await atm.pick(KEY.escape, 'Other amount');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
    await atm.press('1');
    await confirmWithdrawal(atm, 2000);
  });

  it('Esc from the confirm step of a typed amount keeps the amount', async () => {
    const atm = await atWithdraw();
    await atm.press('6');
    await atm.enter('75.25', 'Withdraw $75.25 in cash');
    await atm.pick(KEY.escape, /Amount \$\s+75\.25/);
    await atm.press(KEY.backspace, KEY.enter);
    await atm.waitFor('Withdraw $75.20 in cash');
    await confirmWithdrawal(atm, 7520);
  });

  it('n at the confirm step is no as well', async () => {
    const atm = await atWithdraw();
    await atm.pick('3', 'Withdraw $60.00');
    await atm.pick('n', 'Other amount');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
  });
});

describe('the numbers', () => {
  it('the withdraw screen says what is left today and the most at a time', async () => {
    const atm = await atWithdraw({ limitCents: 50_000, maxCents: 30_000 });
    const screen = await atm.waitFor("Left of today's withdrawal limit: $500.00");
    expect(screen).toContain('At most $300.00 in one withdrawal');
    await atm.press('5', KEY.enter);
    await atm.waitFor('Please take your cash');
    await atm.press(KEY.enter);
    await atm.pick('2', "Left of today's withdrawal limit: $300.00");
  });

  it('an amount over a known limit is refused with the number before anything is sent', async () => {
    const atm = await atWithdraw({ limitCents: 5_000, maxCents: 100_000 });
    await atm.waitFor("Left of today's withdrawal limit: $50.00");
    await atm.press('3'); // $60
    await atm.waitFor('Today you can withdraw at most $50.00 more.');
    await atm.press('6');
    await atm.enter('150', 'Today you can withdraw at most $50.00 more.');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
  });

  it('over the per-transaction maximum says the maximum', async () => {
    const atm = await atWithdraw({ maxCents: 10_000 });
    await atm.waitFor('At most $100.00 in one withdrawal');
    await atm.press('5'); // $200
    await atm.waitFor('The most for one withdrawal is $100.00.');
    expect(atm.bank.callsOf('withdraw')).toHaveLength(0);
  });

  it("LIMIT_EXCEEDED from the bank says what is left of today's limit", async () => {
    const atm = await atWithdraw({ limitCents: 10_000 });
    await atm.waitFor("Left of today's withdrawal limit: $100.00");
    // Meanwhile another session took most of it; the bank's answer carries the number.
    const account = atm.bank.accounts.get('alice');
    if (account) account.withdrawnTodayCents = 8_000;
    await atm.press('3', KEY.enter);
    const screen = await atm.waitFor('Daily withdrawal limit reached');
    expect(flat(screen)).toContain('You can withdraw $20.00 more today.');
    expect(screen).toContain('Code: LIMIT_EXCEEDED');
  });

  it('with nothing left the message says so', async () => {
    const atm = await atWithdraw();
    atm.bank.failNext('withdraw', 'LIMIT_EXCEEDED', 'limit', { remainingCents: 0 });
    await atm.press('1', KEY.enter);
    const screen = await atm.waitFor('Daily withdrawal limit reached');
    expect(flat(screen)).toContain("You have used all of today's withdrawal limit.");
  });

  it('INVALID_AMOUNT from the bank names the maximum it sent', async () => {
    const atm = await renderAtm();
    atm.bank.maxAmountCents = 50_000;
    atm.bank.addAccount('alice', { balanceCents: 100 });
    await atm.login();
    await atm.press('3');
    await atm.type('900');
    await atm.press(KEY.enter, KEY.enter);
    const screen = await atm.waitFor('Amount not accepted');
    expect(flat(screen)).toContain('The most one transaction can move is $500.00.');
  });
});
