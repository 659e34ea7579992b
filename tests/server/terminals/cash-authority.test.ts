import { beforeAll, describe, expect, it } from 'vitest';
import { findTerminal } from '../../../server/ledger/index.js';
import { suiteBank, withLedger } from '../../helpers/test-bank.js';
import { at, codeOf, ledgerState, register, remote, resultOf } from './terminal-fixture.js';

// protocol/README.md §5.1: deposit, withdraw and reverse only in a terminal session; reverse only at the
// terminal that made the withdrawal; withdrawals against the terminal's cash.
describe('cash authority', () => {
  const bank = suiteBank({ dailyWithdrawalLimitCents: 50_000 });
  beforeAll(async () => {
    for (const user of ['alice', 'carol', 'dave', 'erin']) await register(bank, user);
    const alice = await at(bank, 'alice');
    expect(codeOf(await alice.call({ op: 'deposit', amountCents: 100_000 }))).toBe('OK');
    alice.destroy();
  });

  it('refuses deposit, withdraw and reverse from a laptop with TERMINAL_REQUIRED and changes nothing', async () => {
    const atm = await at(bank, 'alice');
    const txId = String(resultOf(await atm.call({ op: 'withdraw', amountCents: 1_000 })).txId);
    atm.destroy();
    const before = ledgerState(bank, 'alice');
    const laptop = await remote(bank, 'alice');
    for (const request of [
      { op: 'deposit', amountCents: 100_000_000 },
      { op: 'withdraw', amountCents: 1_000 },
      { op: 'reverse', txId, reason: 'NOT_DISPENSED' },
    ]) {
      expect(codeOf(await laptop.call(request)), request.op).toBe('TERMINAL_REQUIRED');
    }
    // What a laptop may do still works.
    expect(resultOf(await laptop.call({ op: 'balance' })).balanceCents).toBe(before.balanceCents);
    laptop.destroy();
    expect(ledgerState(bank, 'alice')).toEqual(before);
  });

  it('the withdraw-then-reverse-from-a-laptop attack moves no money and refunds no limit', async () => {
    const before = ledgerState(bank, 'carol');
    const atm = await at(bank, 'carol');
    expect(codeOf(await atm.call({ op: 'deposit', amountCents: 60_000 }))).toBe('OK');
    const withdrawal = resultOf(await atm.call({ op: 'withdraw', amountCents: 50_000 }));
    atm.destroy();
    const laptop = await remote(bank, 'carol');
    for (let i = 0; i < 4; i++) {
      const reply = await laptop.call({ op: 'reverse', txId: withdrawal.txId, reason: 'NOT_DISPENSED' });
      expect(codeOf(reply)).toBe('TERMINAL_REQUIRED');
    }
    const balance = resultOf(await laptop.call({ op: 'balance' }));
    laptop.destroy();
    expect(balance.balanceCents).toBe(before.balanceCents + 10_000);
    expect(balance.dailyWithdrawalRemainingCents).toBe(0);
    // And back at an ATM the daily limit is still spent.
    const again = await at(bank, 'carol');
    expect(codeOf(await again.call({ op: 'withdraw', amountCents: 1_000 }))).toBe('LIMIT_EXCEEDED');
    again.destroy();
  });

  it('reverse from another terminal is UNKNOWN_TX; from the terminal that dispensed it is accepted', async () => {
    const other = await bank.enrolTerminal('ATM-OTHER');
    const atm = await at(bank, 'dave');
    expect(codeOf(await atm.call({ op: 'deposit', amountCents: 5_000 }))).toBe('OK');
    const { txId } = resultOf(await atm.call({ op: 'withdraw', amountCents: 2_000 }));
    const elsewhere = await at(bank, 'dave', other);
    const stateBefore = ledgerState(bank, 'dave');
    expect(codeOf(await elsewhere.call({ op: 'reverse', txId, reason: 'NOT_DISPENSED' }))).toBe('UNKNOWN_TX');
    elsewhere.destroy();
    expect(ledgerState(bank, 'dave')).toEqual(stateBefore);
    const reversed = resultOf(await atm.call({ op: 'reverse', txId, reason: 'NOT_DISPENSED' }));
    expect(reversed).toMatchObject({ balanceCents: 5_000, reversedTxId: txId });
    atm.destroy();
  });

  it('refuses a withdrawal larger than the terminal holds with TERMINAL_OUT_OF_CASH, after the account checks', async () => {
    const small = await bank.enrolTerminal('ATM-SMALL', { cashCents: 10_000 });
    const atm = await at(bank, 'erin', small);
    expect(codeOf(await atm.call({ op: 'deposit', amountCents: 30_000 }))).toBe('OK'); // the machine now holds 400.00
    const before = ledgerState(bank, 'erin');
    expect(codeOf(await atm.call({ op: 'withdraw', amountCents: 40_001 }))).toBe('INSUFFICIENT_FUNDS');
    const rich = await at(bank, 'alice', small);
    expect(codeOf(await rich.call({ op: 'withdraw', amountCents: 40_001 }))).toBe('TERMINAL_OUT_OF_CASH');
    rich.destroy();
    expect(ledgerState(bank, 'erin')).toEqual(before);
    expect(codeOf(await atm.call({ op: 'withdraw', amountCents: 30_000 }))).toBe('OK');
    atm.destroy();
    expect(withLedger(bank, (store) => findTerminal(store, 'ATM-SMALL')?.cashCents)).toBe(10_000);
  });

  it('history entries carry the terminal the cash moved at', async () => {
    const atm = await at(bank, 'dave');
    const { entries } = resultOf(await atm.call({ op: 'history', limit: 10 })) as {
      entries: Array<{ kind: string; terminal: string | null }>;
    };
    atm.destroy();
    expect(entries.map((e) => [e.kind, e.terminal])).toEqual([
      ['reversal', 'ATM-TEST-1'],
      ['withdrawal', 'ATM-TEST-1'],
      ['deposit', 'ATM-TEST-1'],
    ]);
  });
});
