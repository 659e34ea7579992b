import { describe, expect, it } from 'vitest';
import { parseServerMessage } from '../../protocol/index.js';
import { loadVectors, sealedInOrder } from '../helpers/vectors.js';

describe('parseServerMessage: responses', () => {
  it.each<[string, unknown]>([
    ['a success', { id: 'req-1', ok: true, result: { balanceCents: 10000, currency: 'USD' } }],
    ['a success with an empty result', { id: 'req-1', ok: true, result: {} }],
    ['a replayed success', { id: 'r', ok: true, result: { balanceCents: 1, txId: 'T000000000001', replayed: true } }],
    ['a failure', { id: 'req-2', ok: false, error: { code: 'INSUFFICIENT_FUNDS', message: 'balance too low' } }],
    ['a failure for an unreadable id', { id: null, ok: false, error: { code: 'INVALID_REQUEST', message: 'x' } }],
  ])('accepts %s', (_name, value) => {
    expect(parseServerMessage(JSON.stringify(value))).toEqual({
      ok: true,
      value: { kind: 'response', response: value },
    });
  });

  it('accepts the vector responses as bytes', () => {
    for (const s of sealedInOrder(loadVectors(), 's2c')) {
      const result = parseServerMessage(Buffer.from(s.plaintextUtf8, 'utf8'));
      expect(result.ok && result.value.kind).toBe('response');
    }
  });

  it.each<[string, unknown]>([
    ['id missing', { ok: true, result: {} }],
    ['id empty', { id: '', ok: true, result: {} }],
    ['id a number', { id: 7, ok: true, result: {} }],
    ['id with a space', { id: 'a b', ok: true, result: {} }],
    ['ok missing', { id: 'a', result: {} }],
    ['ok a string', { id: 'a', ok: 'true', result: {} }],
    ['ok 1', { id: 'a', ok: 1, result: {} }],
    ['result missing', { id: 'a', ok: true }],
    ['result null', { id: 'a', ok: true, result: null }],
    ['result an array', { id: 'a', ok: true, result: [] }],
    ['result a number', { id: 'a', ok: true, result: 5 }],
    ['error missing', { id: 'a', ok: false }],
    ['error a string', { id: 'a', ok: false, error: 'INSUFFICIENT_FUNDS' }],
    ['error code unknown', { id: 'a', ok: false, error: { code: 'OOPS', message: 'x' } }],
    ['error code internal', { id: 'a', ok: false, error: { code: 'SEQUENCE_ERROR', message: 'x' } }],
    ['error code __proto__', { id: 'a', ok: false, error: { code: '__proto__', message: 'x' } }],
    ['error message missing', { id: 'a', ok: false, error: { code: 'INTERNAL' } }],
    ['error message a number', { id: 'a', ok: false, error: { code: 'INTERNAL', message: 1 } }],
  ])('refuses a response with %s', (_name, value) => {
    const result = parseServerMessage(JSON.stringify(value));
    expect(!result.ok && result.error.code).toBe('PROTOCOL_ERROR');
  });
});

describe('parseServerMessage: notices', () => {
  it.each(['SESSION_EXPIRED', 'SERVER_SHUTDOWN'])('accepts %s', (notice) => {
    const value = { notice, message: 'bye' };
    expect(parseServerMessage(JSON.stringify(value))).toEqual({ ok: true, value: { kind: 'notice', notice: value } });
  });

  it.each<[string, unknown]>([
    ['an unknown notice', { notice: 'GOODBYE', message: 'x' }],
    ['a lower-case notice', { notice: 'session_expired', message: 'x' }],
    ['a null notice', { notice: null, message: 'x' }],
    ['no message', { notice: 'SERVER_SHUTDOWN' }],
    ['a numeric message', { notice: 'SERVER_SHUTDOWN', message: 0 }],
  ])('refuses %s', (_name, value) => {
    const result = parseServerMessage(JSON.stringify(value));
    expect(!result.ok && result.error.code).toBe('PROTOCOL_ERROR');
  });
});

describe('parseServerMessage: junk', () => {
  it.each<[string, string | Buffer]>([
    ['empty', ''],
    ['not JSON', 'ok'],
    ['truncated JSON', '{"id":"a","ok":true'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
    ['an empty object', '{}'],
    ['a request', '{"id":"a","op":"balance"}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x7d, 0xc0])],
  ])('refuses %s with PROTOCOL_ERROR, never a throw', (_name, payload) => {
    const result = parseServerMessage(payload);
    expect(!result.ok && result.error.code).toBe('PROTOCOL_ERROR');
  });
});
