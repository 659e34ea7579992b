import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeErrorFrame,
  encodeErrorResponse,
  encodeHello,
  encodeNotice,
  encodeOkResponse,
  encodeRequest,
  encodeWelcome,
  type OpResult,
  parseHandshakeReply,
  parseHello,
  parseRequest,
  parseServerMessage,
  parseWelcome,
  type Request,
} from '../../protocol/index.js';
import { hex, loadVectors, sealedInOrder } from '../helpers/vectors.js';

// Expected bytes are hand-built JSON text or come from the vectors file, never from the encoders.
const v = loadVectors();
const N32 = Buffer.alloc(32, 0x11);
const K32 = Buffer.alloc(32, 0x4b);
const S16 = Buffer.alloc(16, 0x33);
const N32_B64 = 'ERERERERERERERERERERERERERERERERERERERERERE=';
const K32_B64 = 'S0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0s=';
const S16_B64 = 'MzMzMzMzMzMzMzMzMzMzMw==';

describe('encodeHello', () => {
  it('reproduces the vector hello byte for byte', () => {
    const bytes = encodeHello({
      clientNonce: hex(v.clientNonce),
      clientKey: hex(v.x25519.clientPublic),
      terminal: 'ATM-0001',
      auth: { method: 'password', user: 'alice', password: 'Correct-Horse-42' },
    });
    expect(bytes.toString('utf8')).toBe(v.helloUtf8);
  });

  it('writes totp last in auth and leaves out an absent terminal', () => {
    const bytes = encodeHello({
      clientNonce: N32,
      clientKey: K32,
      auth: { method: 'register', user: 'bob', password: 'pw', totp: '123456' },
    });
    expect(bytes.toString('utf8')).toBe(
      `{"type":"hello","protocol":"secure-atm/1","clientNonce":"${N32_B64}","clientKey":"${K32_B64}",` +
        '"auth":{"method":"register","user":"bob","password":"pw","totp":"123456"}}',
    );
  });

  it('round-trips through parseHello', () => {
    const bytes = encodeHello({
      clientNonce: N32,
      clientKey: K32,
      terminal: 'T-1',
      auth: { method: 'password', user: 'carol', password: 'secret' },
    });
    const parsed = parseHello(bytes);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.clientNonce.equals(N32)).toBe(true);
    expect(parsed.value.clientKey.equals(K32)).toBe(true);
    expect(parsed.value.message.terminal).toBe('T-1');
    expect(parsed.value.message.auth).toEqual({ method: 'password', user: 'carol', password: 'secret' });
  });
});

describe('encodeWelcome', () => {
  it('reproduces the (revision 1) vector welcome byte for byte when no role is given', () => {
    const bytes = encodeWelcome({
      serverNonce: hex(v.serverNonce),
      serverKey: hex(v.x25519.serverPublic),
      sessionId: hex(v.sessionId),
      user: 'alice',
      idleTimeoutSec: 300,
    });
    expect(bytes.toString('utf8')).toBe(v.welcomeUtf8);
  });

  it('puts a revision-2 role between user and idleTimeoutSec, as protocol/README.md §2 shows', () => {
    const bytes = encodeWelcome({
      serverNonce: N32,
      serverKey: K32,
      sessionId: S16,
      user: 'tina',
      role: 'teller',
      idleTimeoutSec: 60,
    });
    expect(bytes.toString('utf8')).toBe(
      `{"type":"welcome","protocol":"secure-atm/1","serverNonce":"${N32_B64}","serverKey":"${K32_B64}",` +
        `"sessionId":"${S16_B64}","user":"tina","role":"teller","idleTimeoutSec":60}`,
    );
    const parsed = parseWelcome(bytes);
    expect(parsed.ok && parsed.value.message.role).toBe('teller');
    expect(parsed.ok && parsed.value.sessionId.equals(S16)).toBe(true);
  });
});

describe('encodeErrorFrame', () => {
  it('uses the table message by default', () => {
    expect(encodeErrorFrame('AUTH_FAILED').toString('utf8')).toBe(
      '{"type":"error","code":"AUTH_FAILED","message":"user name or password is wrong"}',
    );
  });

  it('carries retryAfterMs after the message and round-trips through parseHandshakeReply', () => {
    const bytes = encodeErrorFrame('SERVER_BUSY', { retryAfterMs: 1500 });
    expect(bytes.toString('utf8')).toBe(
      '{"type":"error","code":"SERVER_BUSY","message":"server busy; retry later with the same id","retryAfterMs":1500}',
    );
    expect(parseHandshakeReply(bytes)).toEqual({
      ok: true,
      value: {
        kind: 'error',
        error: {
          type: 'error',
          code: 'SERVER_BUSY',
          message: 'server busy; retry later with the same id',
          retryAfterMs: 1500,
        },
      },
    });
  });

  it('carries reason USED with TOTP_INVALID and round-trips it (§7.7)', () => {
    const bytes = encodeErrorFrame('TOTP_INVALID', { reason: 'USED' });
    expect(bytes.toString('utf8')).toBe(
      '{"type":"error","code":"TOTP_INVALID","message":"the two-factor code is wrong","reason":"USED"}',
    );
    const parsed = parseHandshakeReply(bytes);
    expect(parsed.ok && parsed.value.kind === 'error' && parsed.value.error.reason).toBe('USED');
    // Any other reason is not one the protocol knows: it is ignored.
    const other = parseHandshakeReply('{"type":"error","code":"TOTP_INVALID","message":"m","reason":"X"}');
    expect(other.ok && other.value.kind === 'error' && 'reason' in other.value.error).toBe(false);
  });

  it('takes a given message', () => {
    const reply = parseHandshakeReply(encodeErrorFrame('PROTOCOL_ERROR', { message: 'first frame must be hello' }));
    expect(reply.ok && reply.value.kind === 'error' && reply.value.error.message).toBe('first frame must be hello');
  });
});

describe('encodeRequest', () => {
  it('reproduces the vector request plaintexts', () => {
    const [first, second] = sealedInOrder(v, 'c2s');
    expect(encodeRequest({ id: 'req-1', op: 'balance' })).toBe(first?.plaintextUtf8);
    expect(encodeRequest({ id: 'req-2', op: 'withdraw', amountCents: 2000 })).toBe(second?.plaintextUtf8);
  });

  it('puts id and op first whatever order the object was built in', () => {
    const request = { to: 'bob', amountCents: 5, op: 'transfer', id: 'x' } as Request;
    expect(encodeRequest(request)).toBe('{"id":"x","op":"transfer","to":"bob","amountCents":5}');
  });

  it('round-trips any valid money request through parseRequest, id and op first', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const amountCents = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
    const to = fc.stringMatching(/^[a-z][a-z0-9_.-]{2,31}$/);
    const request = fc.oneof(
      fc.record({ id, op: fc.constantFrom('deposit' as const, 'withdraw' as const), amountCents }),
      fc.record({ id, op: fc.constant('transfer' as const), amountCents, to }),
    );
    fc.assert(
      fc.property(request, (r) => {
        const text = encodeRequest(r as Request);
        expect(text.startsWith(`{"id":${JSON.stringify(r.id)},"op":"${r.op}",`)).toBe(true);
        expect(parseRequest(text)).toEqual({ ok: true, value: r });
      }),
    );
  });

  it.each<Request>([
    { id: 'a', op: 'balance' },
    { id: 'b', op: 'transfer', amountCents: 1, to: 'bob' },
    { id: 'c', op: 'reverse', txId: 'T000000000001', reason: 'TIMEOUT' },
    { id: 'd', op: 'history', limit: 5, before: 'T000000000009' },
    { id: 'e', op: 'update_contact', email: 'a@b.cd' },
    { id: 'f', op: 'totp_disable', password: 'pw', totp: '123456' },
    { id: 'g', op: 'serve', user: 'carol', password: 'pw' },
    { id: 'h', op: 'open_account', user: 'dave', password: 'pw' },
  ])('round-trips $op through parseRequest', (request) => {
    expect(parseRequest(encodeRequest(request))).toEqual({ ok: true, value: request });
  });
});

describe('responses and notices', () => {
  it('reproduces the vector responses', () => {
    const [first, second] = sealedInOrder(v, 's2c');
    // The vector's balance result is revision 1 (no limits yet): the type says revision 2.
    const rev1Balance = { balanceCents: 10000, currency: 'USD' } as unknown as OpResult<'balance'>;
    expect(encodeOkResponse('req-1', 'balance', rev1Balance)).toBe(first?.plaintextUtf8);
    expect(encodeErrorResponse('req-2', 'INSUFFICIENT_FUNDS')).toBe(second?.plaintextUtf8);
  });

  it('writes the §6 detail fields after code and message', () => {
    expect(encodeErrorResponse('w', 'LIMIT_EXCEEDED', { remainingCents: 500 })).toBe(
      '{"id":"w","ok":false,"error":{"code":"LIMIT_EXCEEDED","message":"daily withdrawal limit reached","remainingCents":500}}',
    );
    expect(encodeErrorResponse(null, 'INVALID_REQUEST', { message: 'unknown op' })).toBe(
      '{"id":null,"ok":false,"error":{"code":"INVALID_REQUEST","message":"unknown op"}}',
    );
  });

  it.each([
    ['remainingCents', encodeErrorResponse('a', 'LIMIT_EXCEEDED', { remainingCents: 0 })],
    ['maxAmountCents', encodeErrorResponse('a', 'INVALID_AMOUNT', { maxAmountCents: 100 })],
    ['retryAfterMs', encodeErrorResponse('a', 'SERVER_BUSY', { retryAfterMs: 250 })],
    ['reason', encodeErrorResponse('a', 'TOTP_INVALID', { reason: 'USED' })],
  ])('an error with %s round-trips through parseServerMessage', (_name, text) => {
    const parsed = parseServerMessage(text);
    expect(parsed).toEqual({ ok: true, value: { kind: 'response', response: JSON.parse(text) } });
  });

  it('an ok response typed by op round-trips', () => {
    const text = encodeOkResponse('p', 'transfer', { balanceCents: 7, txId: 'T000000000003', replayed: true });
    expect(text).toBe('{"id":"p","ok":true,"result":{"balanceCents":7,"txId":"T000000000003","replayed":true}}');
    expect(parseServerMessage(text)).toEqual({ ok: true, value: { kind: 'response', response: JSON.parse(text) } });
  });

  it('a notice round-trips', () => {
    const text = encodeNotice('SESSION_EXPIRED', 'session closed after inactivity');
    expect(text).toBe('{"notice":"SESSION_EXPIRED","message":"session closed after inactivity"}');
    expect(parseServerMessage(text)).toEqual({
      ok: true,
      value: { kind: 'notice', notice: { notice: 'SESSION_EXPIRED', message: 'session closed after inactivity' } },
    });
  });
});
