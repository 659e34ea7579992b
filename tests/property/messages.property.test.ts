import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalRequestParams,
  fromB64,
  ProtocolError,
  parseHandshakeReply,
  parseHello,
  parseRequest,
  parseServerMessage,
  parseWelcome,
  type Request,
  toB64,
} from '../../protocol/index.js';

/** Bytes, JSON text of any value, and objects shaped almost like real messages. */
const junkArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue().map((j) => JSON.stringify(j) ?? 'null'),
  fc
    .record(
      {
        type: fc.constantFrom('hello', 'welcome', 'error', 'x'),
        protocol: fc.constantFrom('secure-atm/1', 'secure-atm/2', 1),
        id: fc.oneof(fc.string(), fc.constant(null)),
        op: fc.constantFrom('balance', 'deposit', 'transfer', 'history', 'nope', '__proto__'),
        amountCents: fc.oneof(fc.integer(), fc.double(), fc.string()),
        ok: fc.oneof(fc.boolean(), fc.string()),
        notice: fc.constantFrom('SESSION_EXPIRED', 'X'),
        auth: fc.jsonValue(),
        result: fc.jsonValue(),
        error: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

const PARSERS = {
  parseHello,
  parseWelcome,
  parseHandshakeReply,
  parseServerMessage,
} as const;

describe('validation never throws', () => {
  it.each(Object.entries(PARSERS))('%s returns a value or a typed ProtocolError for any input', (_name, parse) => {
    fc.assert(
      fc.property(junkArb, (payload) => {
        const result = parse(payload);
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(ProtocolError);
          expect(['PROTOCOL_ERROR', 'UNSUPPORTED_PROTOCOL']).toContain(result.error.code);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parseRequest returns a request or INVALID_REQUEST / INVALID_AMOUNT for any input', () => {
    fc.assert(
      fc.property(junkArb, (payload) => {
        const result = parseRequest(payload);
        if (!result.ok) {
          // A refusal is a plain value on the hot path: no Error, no stack trace per refused request.
          expect(result.error.error).not.toBeInstanceOf(Error);
          expect(typeof result.error.error.message).toBe('string');
          expect(['INVALID_REQUEST', 'INVALID_AMOUNT']).toContain(result.error.error.code);
          expect(result.error.id === null || typeof result.error.id === 'string').toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('amounts', () => {
  it('every integer 1..max is accepted, with the amount unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.constantFrom('deposit', 'withdraw'), (amount, op) => {
        const result = parseRequest(JSON.stringify({ id: 'a', op, amountCents: amount }), {
          maxAmountCents: 100_000_000,
        });
        expect(result.ok && result.value).toEqual({ id: 'a', op, amountCents: amount });
      }),
    );
  });

  it('every number that is not a safe integer in 1..max is INVALID_AMOUNT', () => {
    const bad = fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 100_000_001 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.constantFrom(2 ** 53, -(2 ** 53), 1e300, 0.5, -0),
    );
    fc.assert(
      fc.property(bad, (amount) => {
        const result = parseRequest(JSON.stringify({ id: 'a', op: 'transfer', to: 'bob', amountCents: amount }), {
          maxAmountCents: 100_000_000,
        });
        expect(!result.ok && result.error.error.code).toBe('INVALID_AMOUNT');
      }),
    );
  });
});

describe('base64 and canonical params', () => {
  it('fromB64(toB64(bytes)) is the bytes, and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toB64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromB64(text, bytes.length)?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('fromB64 accepts a string only if it is the canonical encoding of what it decodes to', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const decoded = fromB64(text);
        if (decoded) expect(decoded.toString('base64')).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('canonicalRequestParams ignores key order and id', () => {
    fc.assert(
      fc.property(
        fc.record({ amountCents: fc.integer({ min: 1 }), to: fc.constantFrom('bob', 'carol') }),
        fc.string(),
        fc.string(),
        fc.boolean(),
        (params, id1, id2, reverse) => {
          const entries = Object.entries({ op: 'transfer', ...params });
          const a = Object.fromEntries([['id', id1], ...entries]) as Request;
          const b = Object.fromEntries([...(reverse ? entries.reverse() : entries), ['id', id2]]) as Request;
          expect(canonicalRequestParams(a)).toBe(canonicalRequestParams(b));
          expect(JSON.parse(canonicalRequestParams(a))).toEqual({ op: 'transfer', ...params });
        },
      ),
    );
  });
});
