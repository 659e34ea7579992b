import { describe, expect, it } from 'vitest';
import { fromB64, isStrongPassword, type PasswordProblem, passwordProblems, toB64 } from '../../protocol/index.js';

describe('toB64', () => {
  it('is standard padded base64', () => {
    expect(toB64(Buffer.from([]))).toBe('');
    expect(toB64(Buffer.from([0xfb]))).toBe('+w==');
    expect(toB64(Buffer.from([0xfb, 0xff]))).toBe('+/8=');
    expect(toB64(Buffer.from('hello'))).toBe('aGVsbG8=');
  });

  it('encodes only the bytes of a view, not its whole backing buffer', () => {
    const backing = new Uint8Array([0, 0, 0xfb, 0xff, 0, 0]);
    expect(toB64(backing.subarray(2, 4))).toBe('+/8=');
    expect(toB64(Buffer.from(backing.buffer, 1, 3))).toBe('APv/');
  });
});

describe('fromB64', () => {
  it.each<[string, string, string]>([
    ['the empty string', '', ''],
    ['a full group', 'AAAA', '000000'],
    ['two padding chars', '+w==', 'fb'],
    ['one padding char', '+/8=', 'fbff'],
    ['text', 'aGVsbG8=', '68656c6c6f'],
  ])('decodes %s', (_name, text, hexBytes) => {
    expect(fromB64(text)?.toString('hex')).toBe(hexBytes);
  });

  it.each<[string, unknown]>([
    ['missing padding', 'aGVsbG8'],
    ['too much padding', 'aGVsbG8=='],
    ['a lone char', 'A'],
    ['three padding chars', 'A==='],
    ['non-zero trailing bits (two chars)', 'AB=='],
    ['non-zero trailing bits (three chars)', 'AAB='],
    ['padding in the middle', 'AA==AAAA'],
    ['url-safe -', '-w=='],
    ['url-safe _', '_w=='],
    ['a leading space', ' AAAA'],
    ['a trailing newline', 'AAAA\n'],
    ['a line break inside', 'AAAA\nAAAA'],
    ['a non-base64 char', 'AA*A'],
    ['non-ASCII', 'AAÀA'],
    ['a number', 1234],
    ['null', null],
    ['undefined', undefined],
    ['a Buffer', Buffer.from('AAAA')],
  ])('refuses %s', (_name, text) => {
    expect(fromB64(text)).toBeNull();
  });

  it('checks an exact length when asked', () => {
    const b32 = Buffer.alloc(32, 1).toString('base64');
    expect(fromB64(b32, 32)).toHaveLength(32);
    expect(fromB64(b32, 31)).toBeNull();
    expect(fromB64(b32, 33)).toBeNull();
    expect(fromB64('', 0)).toHaveLength(0);
    expect(fromB64('', 1)).toBeNull();
  });

  it('round-trips every length 0..70 with varied bytes', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff));
      const text = toB64(bytes);
      expect(text).toBe(bytes.toString('base64'));
      expect(fromB64(text, n)?.equals(bytes)).toBe(true);
    }
  });
});

describe('passwordProblems', () => {
  it.each<[string, string, PasswordProblem[]]>([
    ['a strong password', 'Correct-Horse-42', []],
    ['exactly 12 characters', 'Abcdefghi1!x', []],
    ['11 characters', 'Abcdefgh1!x', ['too_short']],
    ['no upper case', 'correct-horse-42', ['no_upper']],
    ['no lower case', 'CORRECT-HORSE-42', ['no_lower']],
    ['no digit', 'Correct-Horse-XX', ['no_digit']],
    ['no symbol', 'CorrectHorse42', ['no_symbol']],
    ['a space is not a symbol', 'Correct Horse 42', ['no_symbol']],
    ['72 UTF-8 bytes', `Aa1!${'x'.repeat(68)}`, []],
    ['73 UTF-8 bytes', `Aa1!${'x'.repeat(69)}`, ['too_long']],
    ['non-ASCII letters count as letters', 'Ünïcödé-pässwörd-1', []],
    ['multi-byte chars past 72 bytes', `Aa1!${'é'.repeat(35)}`, ['too_long']],
    ['12 code points in fewer UTF-16 units would still count code points', 'Aa1!😀😀😀😀😀😀😀😀', []],
    ['the empty string', '', ['too_short', 'no_upper', 'no_lower', 'no_digit', 'no_symbol']],
    ['only digits', '123456789012', ['no_upper', 'no_lower', 'no_symbol']],
  ])('%s', (_name, password, problems) => {
    expect(passwordProblems(password)).toEqual(problems);
    expect(isStrongPassword(password)).toBe(problems.length === 0);
  });
});
