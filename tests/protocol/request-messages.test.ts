import { describe, expect, it } from 'vitest';
import {
  canonicalRequestParams,
  DEFAULT_MAX_AMOUNT_CENTS,
  historyLimit,
  OPS,
  parseRequest,
  type Request,
  type RequestOf,
} from '../../protocol/index.js';

type Json = Record<string, unknown>;

/** A valid request of every op, with every field it may carry. */
const FULL: Record<(typeof OPS)[number], Json> = {
  balance: { op: 'balance' },
  deposit: { op: 'deposit', amountCents: 2000 },
  withdraw: { op: 'withdraw', amountCents: 2000 },
  transfer: { op: 'transfer', amountCents: 150, to: 'bob' },
  reverse: { op: 'reverse', txId: 'T000000000042', reason: 'NOT_DISPENSED' },
  history: { op: 'history', limit: 20, before: 'T000000000042' },
  change_password: { op: 'change_password', current: 'old pw', new: 'New-Password-123' },
  update_contact: { op: 'update_contact', email: 'alice@example.com', phone: '+1 (555) 123-4567' },
  totp_enroll: { op: 'totp_enroll', password: 'pw', totp: '123456' },
  totp_confirm: { op: 'totp_confirm', code: '123456' },
  totp_disable: { op: 'totp_disable', password: 'pw', totp: '123456' },
  logout: { op: 'logout' },
  ping: { op: 'ping' },
  serve: { op: 'serve', user: 'carol', password: 'pw', totp: '123456' },
  release: { op: 'release' },
  open_account: { op: 'open_account', user: 'dave', password: 'Strong-Password-1' },
};

/** Further valid shapes: optional fields left out, edge values. */
const ALSO_VALID: [string, Json][] = [
  ['deposit of 1 cent', { op: 'deposit', amountCents: 1 }],
  ['withdraw of the largest safe integer (no limit given)', { op: 'withdraw', amountCents: Number.MAX_SAFE_INTEGER }],
  ['transfer to a 32-char user', { op: 'transfer', amountCents: 1, to: `b${'o'.repeat(31)}` }],
  ['reverse TIMEOUT', { op: 'reverse', txId: 'T000000000001', reason: 'TIMEOUT' }],
  ['reverse CUSTOMER_CANCELLED', { op: 'reverse', txId: 'T999999999999', reason: 'CUSTOMER_CANCELLED' }],
  ['history with nothing', { op: 'history' }],
  ['history limit 1', { op: 'history', limit: 1 }],
  ['history limit 100', { op: 'history', limit: 100 }],
  ['history before only', { op: 'history', before: 'T000000000001' }],
  [
    'change_password with 1024-char fields',
    { op: 'change_password', current: 'c'.repeat(1024), new: 'n'.repeat(1024) },
  ],
  ['update_contact with nothing', { op: 'update_contact' }],
  ['update_contact email only', { op: 'update_contact', email: 'a@b.co' }],
  ['update_contact phone only', { op: 'update_contact', phone: '5551234' }],
  ['totp_confirm 000000', { op: 'totp_confirm', code: '000000' }],
];

/** Every bad field of every op: [op, what, request without id, expected code]. */
const BAD: [string, string, Json, string][] = [
  // Extra junk, for every op.
  ...OPS.map((op): [string, string, Json, string] => [
    op,
    'an extra field',
    { ...FULL[op], junk: 1 },
    'INVALID_REQUEST',
  ]),
  ['balance', 'amountCents it does not take', { op: 'balance', amountCents: 1 }, 'INVALID_REQUEST'],
  ['ping', 'a field of another op', { op: 'ping', to: 'bob' }, 'INVALID_REQUEST'],
  ['logout', 'a reason', { op: 'logout', reason: 'TIMEOUT' }, 'INVALID_REQUEST'],
  ['totp_enroll', 'a code', { op: 'totp_enroll', code: '123456' }, 'INVALID_REQUEST'],
  [
    'deposit',
    'a nested __proto__ field',
    JSON.parse('{"op":"deposit","amountCents":1,"__proto__":{"x":1}}'),
    'INVALID_REQUEST',
  ],
  // Amounts, for every op that takes one.
  ...(['deposit', 'withdraw', 'transfer'] as const).flatMap((op): [string, string, Json, string][] => [
    [op, 'amountCents missing', { ...FULL[op], amountCents: undefined }, 'INVALID_REQUEST'],
    [op, 'amountCents 0', { ...FULL[op], amountCents: 0 }, 'INVALID_AMOUNT'],
    [op, 'amountCents negative', { ...FULL[op], amountCents: -500 }, 'INVALID_AMOUNT'],
    [op, 'amountCents -0.5', { ...FULL[op], amountCents: -0.5 }, 'INVALID_AMOUNT'],
    [op, 'amountCents a float', { ...FULL[op], amountCents: 20.5 }, 'INVALID_AMOUNT'],
    [op, 'amountCents 0.01 (dollars, not cents)', { ...FULL[op], amountCents: 0.01 }, 'INVALID_AMOUNT'],
    [op, 'amountCents 2^53 (unsafe)', { ...FULL[op], amountCents: 2 ** 53 }, 'INVALID_AMOUNT'],
    [op, 'amountCents 1e21', { ...FULL[op], amountCents: 1e21 }, 'INVALID_AMOUNT'],
    [op, 'amountCents a string', { ...FULL[op], amountCents: '2000' }, 'INVALID_AMOUNT'],
    [op, 'amountCents null', { ...FULL[op], amountCents: null }, 'INVALID_AMOUNT'],
    [op, 'amountCents true', { ...FULL[op], amountCents: true }, 'INVALID_AMOUNT'],
    [op, 'amountCents an object', { ...FULL[op], amountCents: { cents: 1 } }, 'INVALID_AMOUNT'],
  ]),
  ['transfer', 'to missing', { op: 'transfer', amountCents: 1 }, 'INVALID_REQUEST'],
  ['transfer', 'to upper case', { ...FULL.transfer, to: 'Bob' }, 'INVALID_REQUEST'],
  ['transfer', 'to too short', { ...FULL.transfer, to: 'bo' }, 'INVALID_REQUEST'],
  ['transfer', 'to too long', { ...FULL.transfer, to: `b${'o'.repeat(32)}` }, 'INVALID_REQUEST'],
  ['transfer', 'to starting with a digit', { ...FULL.transfer, to: '9bob' }, 'INVALID_REQUEST'],
  ['transfer', 'to a number', { ...FULL.transfer, to: 42 }, 'INVALID_REQUEST'],
  ['transfer', 'to null', { ...FULL.transfer, to: null }, 'INVALID_REQUEST'],
  ['reverse', 'txId missing', { op: 'reverse', reason: 'TIMEOUT' }, 'INVALID_REQUEST'],
  ['reverse', 'txId too short', { ...FULL.reverse, txId: 'T00000000042' }, 'INVALID_REQUEST'],
  ['reverse', 'txId too long', { ...FULL.reverse, txId: 'T0000000000420' }, 'INVALID_REQUEST'],
  ['reverse', 'txId lower-case t', { ...FULL.reverse, txId: 't000000000042' }, 'INVALID_REQUEST'],
  ['reverse', 'txId with letters', { ...FULL.reverse, txId: 'T00000000004A' }, 'INVALID_REQUEST'],
  ['reverse', 'txId a number', { ...FULL.reverse, txId: 42 }, 'INVALID_REQUEST'],
  ['reverse', 'reason missing', { op: 'reverse', txId: 'T000000000042' }, 'INVALID_REQUEST'],
  ['reverse', 'reason lower case', { ...FULL.reverse, reason: 'not_dispensed' }, 'INVALID_REQUEST'],
  ['reverse', 'reason unknown', { ...FULL.reverse, reason: 'CHANGED_MIND' }, 'INVALID_REQUEST'],
  ['reverse', 'reason a number', { ...FULL.reverse, reason: 1 }, 'INVALID_REQUEST'],
  ['history', 'limit 0', { op: 'history', limit: 0 }, 'INVALID_REQUEST'],
  ['history', 'limit 101', { op: 'history', limit: 101 }, 'INVALID_REQUEST'],
  ['history', 'limit -1', { op: 'history', limit: -1 }, 'INVALID_REQUEST'],
  ['history', 'limit 1.5', { op: 'history', limit: 1.5 }, 'INVALID_REQUEST'],
  ['history', 'limit a string', { op: 'history', limit: '20' }, 'INVALID_REQUEST'],
  ['history', 'limit null', { op: 'history', limit: null }, 'INVALID_REQUEST'],
  ['history', 'before malformed', { op: 'history', before: 'T42' }, 'INVALID_REQUEST'],
  ['history', 'before a number', { op: 'history', before: 42 }, 'INVALID_REQUEST'],
  ['change_password', 'current missing', { op: 'change_password', new: 'New-Password-123' }, 'INVALID_REQUEST'],
  ['change_password', 'new missing', { op: 'change_password', current: 'old' }, 'INVALID_REQUEST'],
  ['change_password', 'current empty', { ...FULL.change_password, current: '' }, 'INVALID_REQUEST'],
  ['change_password', 'new empty', { ...FULL.change_password, new: '' }, 'INVALID_REQUEST'],
  ['change_password', 'new 1025 chars', { ...FULL.change_password, new: 'n'.repeat(1025) }, 'INVALID_REQUEST'],
  ['change_password', 'current a number', { ...FULL.change_password, current: 1234 }, 'INVALID_REQUEST'],
  ['change_password', 'new null', { ...FULL.change_password, new: null }, 'INVALID_REQUEST'],
  ['update_contact', 'email without @', { op: 'update_contact', email: 'alice.example.com' }, 'INVALID_REQUEST'],
  ['update_contact', 'email without a dot', { op: 'update_contact', email: 'alice@localhost' }, 'INVALID_REQUEST'],
  ['update_contact', 'email with a space', { op: 'update_contact', email: 'al ice@example.com' }, 'INVALID_REQUEST'],
  [
    'update_contact',
    'email 255 chars',
    { op: 'update_contact', email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` },
    'INVALID_REQUEST',
  ],
  ['update_contact', 'email a number', { op: 'update_contact', email: 1 }, 'INVALID_REQUEST'],
  ['update_contact', 'phone with letters', { op: 'update_contact', phone: 'call me' }, 'INVALID_REQUEST'],
  ['update_contact', 'phone 21 chars', { op: 'update_contact', phone: `+${'1'.repeat(20)}` }, 'INVALID_REQUEST'],
  ['update_contact', 'phone too short', { op: 'update_contact', phone: '12' }, 'INVALID_REQUEST'],
  ['update_contact', 'phone a number', { op: 'update_contact', phone: 5551234 }, 'INVALID_REQUEST'],
  ['totp_confirm', 'code missing', { op: 'totp_confirm' }, 'INVALID_REQUEST'],
  ['totp_confirm', 'code 5 digits', { op: 'totp_confirm', code: '12345' }, 'INVALID_REQUEST'],
  ['totp_confirm', 'code 7 digits', { op: 'totp_confirm', code: '1234567' }, 'INVALID_REQUEST'],
  ['totp_confirm', 'code a number', { op: 'totp_confirm', code: 123456 }, 'INVALID_REQUEST'],
  ['totp_confirm', 'code with a space', { op: 'totp_confirm', code: '123 456' }, 'INVALID_REQUEST'],
];

function request(id: string, body: Json): string {
  return JSON.stringify({ id, ...body });
}

describe('parseRequest: valid requests', () => {
  it.each(OPS.map((op) => [op, FULL[op]] as const))('accepts a full %s', (_op, body) => {
    const result = parseRequest(request('req-1', body));
    expect(result).toEqual({ ok: true, value: { id: 'req-1', ...body } });
  });

  it.each(ALSO_VALID)('accepts %s', (_name, body) => {
    expect(parseRequest(request('r', body))).toEqual({ ok: true, value: { id: 'r', ...body } });
  });

  it('accepts bytes as well as a string', () => {
    expect(parseRequest(Buffer.from(request('b', FULL.ping))).ok).toBe(true);
  });

  it.each([
    ['1 char', 'a'],
    ['64 chars', 'A'.repeat(32) + '-_'.repeat(16)],
    ['a UUID', 'b6f0c7e4-2f5c-4a43-9d4e-0a3f2a1b9c77'],
  ])('accepts an id of %s', (_name, id) => {
    expect(parseRequest(request(id, FULL.balance)).ok).toBe(true);
  });
});

describe('parseRequest: every bad field', () => {
  it('the table covers every op', () => {
    const opsWithBadCases = new Set(BAD.map(([op]) => op));
    for (const op of OPS) expect(opsWithBadCases.has(op), op).toBe(true);
    expect(Object.keys(FULL).sort()).toEqual([...OPS].sort());
  });

  it.each(BAD)('%s: %s → %s', (_op, _what, body, code) => {
    const result = parseRequest(request('req-7', body));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.code).toBe(code);
    // The id was readable, so the response can carry it.
    expect(result.error.id).toBe('req-7');
  });

  it.each<[string, Json]>([
    ['op missing', { id: 'x' }],
    ['op unknown', { id: 'x', op: 'fly' }],
    ['op upper case', { id: 'x', op: 'BALANCE' }],
    ['op a number', { id: 'x', op: 1 }],
    ['op null', { id: 'x', op: null }],
    ['op __proto__', { id: 'x', op: '__proto__' }],
    ['op constructor', { id: 'x', op: 'constructor' }],
    ['op toString', { id: 'x', op: 'toString' }],
    ['op hasOwnProperty', { id: 'x', op: 'hasOwnProperty' }],
  ])('%s → INVALID_REQUEST with the id', (_name, value) => {
    const result = parseRequest(JSON.stringify(value));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ id: 'x', error: { code: 'INVALID_REQUEST' } });
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
    ['65 chars', 'a'.repeat(65)],
    ['with a space', 'req 1'],
    ['with a dot', 'req.1'],
    ['non-ASCII', 'réq'],
    ['a number', 42],
    ['null', null],
    ['an object', { id: 'a' }],
  ])('an id %s → INVALID_REQUEST with id null', (_name, id) => {
    const result = parseRequest(JSON.stringify({ id, op: 'balance' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ id: null, error: { code: 'INVALID_REQUEST' } });
  });

  it.each<[string, string | Buffer]>([
    ['empty', ''],
    ['not JSON', 'balance please'],
    ['truncated JSON', '{"id":"a","op":"balance"'],
    ['a JSON array', '[{"id":"a","op":"balance"}]'],
    ['JSON null', 'null'],
    ['a JSON string', '"balance"'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
  ])('%s → INVALID_REQUEST with id null, never a throw', (_name, payload) => {
    const result = parseRequest(payload);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ id: null, error: { code: 'INVALID_REQUEST' } });
  });
});

describe('parseRequest: the per-request maximum amount', () => {
  const limits = { maxAmountCents: DEFAULT_MAX_AMOUNT_CENTS };

  it.each(['deposit', 'withdraw', 'transfer'] as const)('%s accepts exactly the maximum, refuses one more', (op) => {
    expect(DEFAULT_MAX_AMOUNT_CENTS).toBe(100_000_000);
    expect(parseRequest(request('a', { ...FULL[op], amountCents: 100_000_000 }), limits).ok).toBe(true);
    const over = parseRequest(request('a', { ...FULL[op], amountCents: 100_000_001 }), limits);
    expect(!over.ok && over.error.error.code).toBe('INVALID_AMOUNT');
  });

  it('a custom limit applies', () => {
    const over = parseRequest(request('a', { op: 'deposit', amountCents: 501 }), { maxAmountCents: 500 });
    expect(!over.ok && over.error).toMatchObject({ id: 'a', error: { code: 'INVALID_AMOUNT' } });
    expect(parseRequest(request('a', { op: 'deposit', amountCents: 500 }), { maxAmountCents: 500 }).ok).toBe(true);
  });

  it('an unsafe integer is refused even under a limit above it', () => {
    const unsafe = parseRequest(request('a', { op: 'deposit', amountCents: 2 ** 53 }), { maxAmountCents: 2 ** 60 });
    expect(!unsafe.ok && unsafe.error.error.code).toBe('INVALID_AMOUNT');
  });

  it('without limits the bound is the largest safe integer', () => {
    const unsafe = parseRequest(request('a', { op: 'deposit', amountCents: Number.MAX_SAFE_INTEGER + 1 }));
    expect(!unsafe.ok && unsafe.error.error.code).toBe('INVALID_AMOUNT');
  });
});

describe('historyLimit', () => {
  it('defaults to 20', () => {
    expect(historyLimit({ id: 'a', op: 'history' })).toBe(20);
    expect(historyLimit({ id: 'a', op: 'history', limit: 7 })).toBe(7);
  });
});

describe('canonicalRequestParams', () => {
  it('leaves out the id and sorts the keys', () => {
    const req: RequestOf<'transfer'> = { to: 'bob', id: 'req-1', amountCents: 150, op: 'transfer' };
    expect(canonicalRequestParams(req)).toBe('{"amountCents":150,"op":"transfer","to":"bob"}');
  });

  it('does not depend on key order or id', () => {
    const a = parseRequest('{"id":"one","op":"reverse","txId":"T000000000001","reason":"TIMEOUT"}');
    const b = parseRequest('{"reason":"TIMEOUT","txId":"T000000000001","op":"reverse","id":"two"}');
    if (!a.ok || !b.ok) throw new Error('fixtures must parse');
    expect(canonicalRequestParams(a.value)).toBe(canonicalRequestParams(b.value));
    expect(canonicalRequestParams(a.value)).toBe('{"op":"reverse","reason":"TIMEOUT","txId":"T000000000001"}');
  });

  it('differs when the op or any param differs', () => {
    const base: Request = { id: 'x', op: 'withdraw', amountCents: 2000 };
    const seen = new Set(
      [
        base,
        { ...base, amountCents: 2001 },
        { id: 'x', op: 'deposit', amountCents: 2000 },
        { id: 'x', op: 'transfer', amountCents: 2000, to: 'bob' },
        { id: 'x', op: 'transfer', amountCents: 2000, to: 'bobby' },
      ].map((r) => canonicalRequestParams(r as Request)),
    );
    expect(seen.size).toBe(5);
  });

  it('of a parameterless op is just the op', () => {
    expect(canonicalRequestParams({ id: 'a', op: 'balance' })).toBe('{"op":"balance"}');
  });
});
