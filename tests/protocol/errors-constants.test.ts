import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TELLER_OPS } from '../../protocol/constants.js';
import {
  ERROR_MESSAGES,
  fail,
  INTERNAL_ERRORS,
  isWireErrorCode,
  MAX_FRAME_BYTES,
  MAX_SEQ,
  OPS,
  ok,
  PROTOCOL_ID,
  ProtocolError,
  USER_PATTERN,
  WIRE_ERRORS,
} from '../../protocol/index.js';
import { loadVectors, PROTOCOL_MD_URL } from '../helpers/vectors.js';

// The contract is the repository's own protocol/README.md: read its tables rather than restating them here.
const spec = readFileSync(PROTOCOL_MD_URL, 'utf8');

function section(title: string): string {
  const start = spec.indexOf(`\n${title}`);
  if (start < 0) throw new Error(`protocol/README.md has no section ${title}`);
  const next = spec.indexOf('\n## ', start + title.length + 1);
  return spec.slice(start, next < 0 ? undefined : next);
}

/**
 * First-column backticked names of the rows of every table in `text` whose header's first
 * cell is `header` (other tables in the section, like the error-detail fields, are not read).
 */
function tableNames(text: string, header: string): string[] {
  const names: string[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    const first = /^\|\s*([^|]+?)\s*\|/.exec(line)?.[1];
    if (!first) {
      inTable = false;
      continue;
    }
    if (!inTable) {
      inTable = first === header;
      continue;
    }
    for (const m of first.matchAll(/`([^`]+)`/g)) if (m[1]) names.push(m[1]);
  }
  return names;
}

describe('error table', () => {
  it('has every code of the protocol document §6, and no other wire code', () => {
    const specCodes = tableNames(section('## 6.'), 'code');
    expect(specCodes.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(WIRE_ERRORS).sort()).toEqual([...new Set(specCodes)].sort());
  });

  it('gives every code a non-empty default message, and keeps internal codes apart', () => {
    for (const [code, message] of Object.entries(ERROR_MESSAGES)) expect(message.length, code).toBeGreaterThan(0);
    for (const code of Object.keys(INTERNAL_ERRORS)) {
      expect(Object.hasOwn(WIRE_ERRORS, code), code).toBe(false);
      expect(isWireErrorCode(code)).toBe(false);
    }
    expect(Object.keys(ERROR_MESSAGES)).toHaveLength(
      Object.keys(WIRE_ERRORS).length + Object.keys(INTERNAL_ERRORS).length,
    );
  });

  it.each([
    ['AUTH_FAILED', true],
    ['INTERNAL', true],
    ['SEQUENCE_ERROR', false],
    ['auth_failed', false],
    ['toString', false],
    ['__proto__', false],
    ['constructor', false],
    [42, false],
    [null, false],
  ] as const)('isWireErrorCode(%j) is %s', (code, expected) => {
    expect(isWireErrorCode(code)).toBe(expected);
  });

  it('ProtocolError carries a stable code and a default or given message', () => {
    const plain = new ProtocolError('INSUFFICIENT_FUNDS');
    expect(plain).toBeInstanceOf(Error);
    expect(plain.name).toBe('ProtocolError');
    expect(plain.code).toBe('INSUFFICIENT_FUNDS');
    expect(plain.message).toBe(WIRE_ERRORS.INSUFFICIENT_FUNDS);
    expect(plain.toWire()).toEqual({ code: 'INSUFFICIENT_FUNDS', message: 'balance too low' });
    expect(new ProtocolError('INTERNAL', 'custom').toWire()).toEqual({ code: 'INTERNAL', message: 'custom' });
  });

  it('ok and fail build outcome values', () => {
    expect(ok(5)).toEqual({ ok: true, value: 5 });
    const failed = fail('UNKNOWN_TX');
    expect(failed.ok).toBe(false);
    expect(failed.error).toBeInstanceOf(ProtocolError);
    expect(failed.error.code).toBe('UNKNOWN_TX');
  });
});

describe('constants match the protocol document', () => {
  it('OPS is the op tables of §5 (customer ops and teller ops), each op once', () => {
    const specOps = tableNames(section('## 5.'), 'op');
    expect(specOps.length).toBe(new Set(specOps).size);
    expect([...OPS].sort()).toEqual([...specOps].sort());
  });

  it('TELLER_OPS is the op table of §5.2', () => {
    const teller = section('## 5.').slice(section('## 5.').indexOf('### 5.2'));
    expect([...TELLER_OPS].sort()).toEqual(tableNames(teller, 'op').sort());
  });

  it('the error-detail fields of §6 are the ones parseServerMessage keeps', () => {
    expect(tableNames(section('## 6.'), 'field').sort()).toEqual(
      ['maxAmountCents', 'reason', 'remainingCents', 'retryAfterMs'].sort(),
    );
  });

  it('the worked example of §8 quotes the vectors byte for byte', () => {
    const example = section('## 8.');
    const v = loadVectors();
    for (const value of [
      v.x25519.clientPublic,
      v.x25519.serverPublic,
      v.x25519.shared,
      v.transcriptHash,
      v.helloUtf8,
      v.welcomeUtf8,
      ...[0, 1, 2, 3].map((i) => v.okm.slice(i * 64, (i + 1) * 64)),
      ...v.sealed.flatMap((s) => [s.plaintextUtf8, s.envelope.ct, s.envelope.mac]),
    ]) {
      expect(example, value).toContain(value);
    }
  });

  it('protocol id, frame limit and last seq', () => {
    expect(PROTOCOL_ID).toBe('secure-atm/1');
    expect(spec).toContain('`1 <= N <= 65536`');
    expect(MAX_FRAME_BYTES).toBe(65536);
    expect(MAX_SEQ).toBe(2 ** 32 - 1);
  });

  it.each([
    ['abc', true],
    ['a'.repeat(32), true],
    ['a1_.-', true],
    ['ab', false],
    ['a'.repeat(33), false],
    ['Abc', false],
    ['1bc', false],
    ['.bc', false],
  ] as const)('USER_PATTERN on %j is %s', (user, expected) => {
    expect(USER_PATTERN.test(user)).toBe(expected);
  });
});
