import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../../atm-client/ui/clock.js';
import { createSimulatedDispenser } from '../../../atm-client/ui/dispenser.js';
import { cursorOf, FIRST_PAGE, historyRow, nextPage, previousPage } from '../../../atm-client/ui/history-view.js';
import { indexForKey, mainMenu, moveSelection, QUICK_AMOUNTS_CENTS } from '../../../atm-client/ui/menu-model.js';
import { passwordChecklist } from '../../../atm-client/ui/password-checklist.js';
import { groupSecret } from '../../../atm-client/ui/qr.js';
import { receiptHeadline, receiptRows } from '../../../atm-client/ui/receipt.js';
import type { HistoryEntry } from '../../../protocol/index.js';

describe('menu model', () => {
  it('offers the quick amounts of the brief', () => {
    expect(QUICK_AMOUNTS_CENTS).toEqual([2000, 4000, 6000, 10000, 20000]);
    expect(mainMenu({ twoFactor: false, remote: false }).map((item) => item.action)).toEqual([
      'balance',
      'withdraw',
      'deposit',
      'transfer',
      'history',
      'change-password',
      'update-contact',
      'two-factor',
      'logout',
    ]);
  });

  it('a remote session is offered no cash, and the two-factor item says whether it is on', () => {
    const remote = mainMenu({ twoFactor: true, remote: true });
    expect(remote.map((item) => item.action)).not.toContain('withdraw');
    expect(remote.map((item) => item.action)).not.toContain('deposit');
    expect(remote.find((item) => item.action === 'two-factor')?.label).toBe('Two-factor login: on');
    expect(mainMenu({ twoFactor: false, remote: false }).find((item) => item.action === 'two-factor')?.label).toBe(
      'Set up two-factor login',
    );
  });

  it('wraps the highlight and maps number keys', () => {
    expect(moveSelection(0, -1, 8)).toBe(7);
    expect(moveSelection(7, 1, 8)).toBe(0);
    expect(moveSelection(3, 1, 8)).toBe(4);
    expect(moveSelection(0, 1, 0)).toBe(0);
    expect(indexForKey('1', 8)).toBe(0);
    expect(indexForKey('8', 8)).toBe(7);
    expect(indexForKey('9', 8)).toBeNull();
    expect(indexForKey('0', 8)).toBeNull();
    expect(indexForKey('12', 8)).toBeNull();
    expect(indexForKey('a', 8)).toBeNull();
  });
});

describe('history view', () => {
  const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
    txId: 'T000000000007',
    kind: 'withdrawal',
    amountCents: -4000,
    balanceAfterCents: 96000,
    counterparty: null,
    at: '2025-01-15T09:30:12.000Z',
    ...over,
  });

  it('formats rows with signed amounts and the other party', () => {
    expect(historyRow(entry({}))).toEqual({
      date: '2025-01-15 09:30',
      what: 'Withdrawal',
      amount: '-$40.00',
      balance: '$960.00',
      txId: 'T000000000007',
    });
    expect(historyRow(entry({ kind: 'transfer_in', amountCents: 500, counterparty: 'bob' }))).toMatchObject({
      what: 'Transfer in from bob',
      amount: '+$5.00',
    });
    expect(historyRow(entry({ kind: 'transfer_out', counterparty: 'bob' })).what).toBe('Transfer out to bob');
  });

  it('keeps the cursor of every page seen, so paging back needs no new cursor', () => {
    const p2 = nextPage(FIRST_PAGE, 'T000000000010');
    const p3 = nextPage(p2, 'T000000000005');
    expect(cursorOf(FIRST_PAGE)).toBeUndefined();
    expect(cursorOf(p3)).toBe('T000000000005');
    const back = previousPage(p3);
    expect(cursorOf(back)).toBe('T000000000010');
    expect(cursorOf(previousPage(back))).toBeUndefined();
    expect(previousPage(FIRST_PAGE)).toBe(FIRST_PAGE);
    // Going forward again from a page seen before replaces what lay beyond it.
    expect(nextPage(back, 'T000000000004').cursors).toEqual([undefined, 'T000000000010', 'T000000000004']);
  });
});

describe('receipts', () => {
  it('lists amount, transaction, new balance and time', () => {
    const receipt = {
      kind: 'withdrawal' as const,
      amountCents: 4000,
      txId: 'T000000000042',
      balanceCents: 96000,
      at: Date.UTC(2025, 0, 15, 9, 30, 5),
    };
    expect(receiptHeadline(receipt)).toBe('Please take your cash');
    expect(receiptRows(receipt, 'ATM-0001')).toEqual([
      { label: 'Withdrawn', value: '$40.00' },
      { label: 'Transaction', value: 'T000000000042' },
      { label: 'New balance', value: '$960.00' },
      { label: 'Time', value: '2025-01-15 09:30:05 UTC' },
      { label: 'Terminal', value: 'ATM-0001' },
    ]);
  });

  it('names the reversed withdrawal and the transfer target', () => {
    const rows = receiptRows({
      kind: 'reversal',
      amountCents: 4000,
      txId: 'T000000000043',
      reversedTxId: 'T000000000042',
      balanceCents: 100000,
      at: 0,
    });
    expect(rows.map((row) => row.label)).toEqual(['Returned', 'Transaction', 'Reverses', 'New balance', 'Time']);
    const transfer = receiptRows({
      kind: 'transfer',
      amountCents: 1,
      txId: 'T000000000001',
      counterparty: 'bob',
      balanceCents: 0,
      at: 0,
    });
    expect(transfer).toContainEqual({ label: 'To', value: 'bob' });
  });

  it('prints time in UTC', () => {
    expect(formatTimestamp(0)).toBe('1970-01-01 00:00:00 UTC');
  });
});

describe('small helpers', () => {
  it('ticks password rules as they are met', () => {
    const unmet = passwordChecklist('abc')
      .filter((rule) => !rule.met)
      .map((rule) => rule.text);
    expect(unmet).toEqual(['at least 12 characters', 'an upper case letter', 'a digit', 'a symbol, like ! or #']);
    expect(passwordChecklist('Correct-Horse-9').every((rule) => rule.met)).toBe(true);
  });

  it('groups a TOTP secret in fours', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('ABCDEF')).toBe('ABCD EF');
    expect(groupSecret('ABCD')).toBe('ABCD');
  });

  it('simulates a dispenser that works or fails on demand', async () => {
    await expect(createSimulatedDispenser({ delayMs: 0 }).dispense(2000)).resolves.toEqual({ ok: true });
    await expect(createSimulatedDispenser({ fail: true, delayMs: 0 }).dispense(2000)).resolves.toMatchObject({
      ok: false,
    });
  });
});
