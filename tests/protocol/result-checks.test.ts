import { describe, expect, it } from 'vitest';
import { HISTORY_KINDS, isValidResult, OPS, type Op, RESULT_CHECKS } from '../../protocol/index.js';

const entry = {
  txId: 'T000000000001',
  kind: 'withdrawal',
  amountCents: -2000,
  balanceAfterCents: 8000,
  counterparty: null,
  terminal: 'ATM-0001',
  at: '2026-12-01T09:00:00.000Z',
};

/** A valid result of every op, written out by hand from protocol/README.md §5 and §5.2. */
const VALID: Record<Op, Record<string, unknown>> = {
  balance: {
    balanceCents: 100,
    currency: 'USD',
    dailyWithdrawalRemainingCents: 50000,
    maxAmountCents: 100000000,
    twoFactor: false,
  },
  deposit: { balanceCents: 1, txId: 'T000000000002' },
  withdraw: { balanceCents: 0, txId: 'T000000000003' },
  transfer: { balanceCents: -0, txId: 'T000000000004' },
  reverse: { balanceCents: 5, txId: 'T000000000005', reversedTxId: 'T000000000003' },
  history: { entries: [entry, { ...entry, kind: 'transfer_in', counterparty: 'bob', terminal: null }], next: null },
  change_password: {},
  update_contact: {},
  totp_enroll: { otpauthUri: 'otpauth://totp/x', secret: 'ABC' },
  totp_confirm: {},
  totp_disable: {},
  logout: {},
  ping: { serverTime: '2026-12-01T09:00:00.000Z' },
  serve: { user: 'carol', balanceCents: 10 },
  release: {},
  open_account: { user: 'dave' },
};

describe('RESULT_CHECKS', () => {
  it('has one check per op', () => {
    expect(Object.keys(RESULT_CHECKS).sort()).toEqual([...OPS].sort());
  });

  it.each(OPS.map((op) => [op] as const))('accepts a valid %s result, also replayed and with unknown fields', (op) => {
    expect(isValidResult(op, VALID[op])).toBe(true);
    expect(isValidResult(op, { ...VALID[op], replayed: true, futureField: 1 })).toBe(true);
  });

  it.each(OPS.map((op) => [op] as const))('refuses a %s result whose replayed is not true', (op) => {
    expect(isValidResult(op, { ...VALID[op], replayed: false })).toBe(false);
  });

  it.each<[Op, Record<string, unknown>]>([
    ['balance', { ...VALID.balance, balanceCents: 1.5 }],
    ['balance', { ...VALID.balance, twoFactor: 'no' }],
    ['balance', { balanceCents: 100, currency: 'USD' }],
    ['deposit', { balanceCents: 1 }],
    ['withdraw', { balanceCents: '1', txId: 'T000000000003' }],
    ['transfer', { balanceCents: 2 ** 53, txId: 'T1' }],
    ['reverse', { balanceCents: 5, txId: 'T000000000005' }],
    ['history', { entries: [{ ...entry, kind: 'gift' }], next: null }],
    ['history', { entries: [{ ...entry, terminal: 7 }], next: null }],
    ['history', { entries: [{ ...entry, amountCents: 0.1 }], next: null }],
    ['history', { entries: 'none', next: null }],
    ['history', { entries: [], next: 5 }],
    ['totp_enroll', { otpauthUri: '', secret: 'A' }],
    ['ping', {}],
    ['serve', { user: 'carol' }],
    ['open_account', {}],
  ])('refuses a broken %s result', (op, result) => {
    expect(isValidResult(op, result)).toBe(false);
  });

  it('knows the history kinds protocol/README.md lists', () => {
    expect([...HISTORY_KINDS]).toEqual(['deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal']);
    for (const kind of HISTORY_KINDS) {
      expect(isValidResult('history', { entries: [{ ...entry, kind }], next: 'T000000000001' })).toBe(true);
    }
  });
});
