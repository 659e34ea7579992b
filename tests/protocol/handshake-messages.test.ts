import { describe, expect, it } from 'vitest';
import { parseHandshakeReply, parseHello, parseWelcome, type Result } from '../../protocol/index.js';

type Json = Record<string, unknown>;

const B32 = Buffer.alloc(32, 0x11).toString('base64');
const KEY = Buffer.alloc(32, 0x4b).toString('base64');
const B16 = Buffer.alloc(16, 0x33).toString('base64');
const B31 = Buffer.alloc(31, 0x11).toString('base64');
const B33 = Buffer.alloc(33, 0x11).toString('base64');

function hello(): Json {
  return {
    type: 'hello',
    protocol: 'secure-atm/1',
    clientNonce: B32,
    clientKey: KEY,
    terminal: 'ATM-0001',
    auth: { method: 'password', user: 'alice', password: 'Correct-Horse-42', totp: '123456' },
  };
}

function welcome(): Json {
  return {
    type: 'welcome',
    protocol: 'secure-atm/1',
    serverNonce: B32,
    serverKey: KEY,
    sessionId: B16,
    user: 'alice',
    idleTimeoutSec: 300,
  };
}

function withField(base: () => Json, path: string, value: unknown): Json {
  const obj = structuredClone(base());
  const parts = path.split('.');
  let at: Json = obj;
  for (const part of parts.slice(0, -1)) at = at[part] as Json;
  const last = parts.at(-1) as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return obj;
}

function codeOf(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

/** Bad base64 spellings, each beside a good one of the same field. */
const badB64 = (good: string) => [
  ['missing', undefined],
  ['a number', 12],
  ['null', null],
  ['bytes as an array', [...Buffer.from(good, 'base64')]],
  ['31 bytes', B31],
  ['33 bytes', B33],
  ['unpadded', good.replace(/=+$/, '')],
  ['non-zero trailing bits', `${good.slice(0, -2)}F=`],
  ['url-safe alphabet', `-${good.slice(1)}`],
  ['url-safe underscore', `_${good.slice(1)}`],
  ['with a newline', `${good}\n`],
  ['with a space inside', `${good.slice(0, 8)} ${good.slice(8)}`],
  ['hex instead of base64', Buffer.from(good, 'base64').toString('hex')],
];

describe('parseHello', () => {
  it('accepts a full hello and decodes its byte fields', () => {
    const result = parseHello(JSON.stringify(hello()));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.clientNonce.equals(Buffer.alloc(32, 0x11))).toBe(true);
    expect(result.value.clientKey.equals(Buffer.alloc(32, 0x4b))).toBe(true);
    expect(result.value.message).toEqual(hello());
  });

  it('accepts the payload as bytes', () => {
    expect(parseHello(Buffer.from(JSON.stringify(hello()), 'utf8')).ok).toBe(true);
  });

  it.each<[string, string, unknown]>([
    ['no terminal', 'terminal', undefined],
    ['a 1-char terminal', 'terminal', 'A'],
    ['a 32-char terminal', 'terminal', `${'A'.repeat(16)}_${'9'.repeat(14)}-`],
    ['no totp', 'auth.totp', undefined],
    ['register', 'auth.method', 'register'],
    ['a 3-char user', 'auth.user', 'abc'],
    ['a 32-char user', 'auth.user', `a${'b'.repeat(31)}`],
    ['a user with every allowed symbol', 'auth.user', 'a0_.-z'],
    ['a 1-char password', 'auth.password', 'x'],
    ['a 1024-char password', 'auth.password', 'p'.repeat(1024)],
    ['a weak password (policy is for new passwords only)', 'auth.password', 'password'],
    ['totp 000000', 'auth.totp', '000000'],
  ])('accepts %s', (_name, path, value) => {
    expect(codeOf(parseHello(JSON.stringify(withField(hello, path, value))))).toBe('ok');
  });

  const fieldCases: [string, string, unknown, string][] = [
    ['type missing', 'type', undefined, 'PROTOCOL_ERROR'],
    ['type welcome', 'type', 'welcome', 'PROTOCOL_ERROR'],
    ['type Hello', 'type', 'Hello', 'PROTOCOL_ERROR'],
    ['type a number', 'type', 1, 'PROTOCOL_ERROR'],
    ['protocol secure-atm/2', 'protocol', 'secure-atm/2', 'UNSUPPORTED_PROTOCOL'],
    ['protocol secure-atm/1.1', 'protocol', 'secure-atm/1.1', 'UNSUPPORTED_PROTOCOL'],
    ['protocol SECURE-ATM/1', 'protocol', 'SECURE-ATM/1', 'UNSUPPORTED_PROTOCOL'],
    ['protocol empty', 'protocol', '', 'UNSUPPORTED_PROTOCOL'],
    ['protocol missing', 'protocol', undefined, 'PROTOCOL_ERROR'],
    ['protocol a number', 'protocol', 1, 'PROTOCOL_ERROR'],
    ...badB64(B32).map(
      ([n, val]) => [`clientNonce ${n}`, 'clientNonce', val, 'PROTOCOL_ERROR'] as [string, string, unknown, string],
    ),
    ...badB64(KEY).map(
      ([n, val]) => [`clientKey ${n}`, 'clientKey', val, 'PROTOCOL_ERROR'] as [string, string, unknown, string],
    ),
    ['terminal empty', 'terminal', '', 'PROTOCOL_ERROR'],
    ['terminal 33 chars', 'terminal', 'A'.repeat(33), 'PROTOCOL_ERROR'],
    ['terminal with a space', 'terminal', 'ATM 1', 'PROTOCOL_ERROR'],
    ['terminal with a slash', 'terminal', 'ATM/1', 'PROTOCOL_ERROR'],
    ['terminal with a dot', 'terminal', 'ATM.1', 'PROTOCOL_ERROR'],
    ['terminal non-ASCII', 'terminal', 'ATMé', 'PROTOCOL_ERROR'],
    ['terminal a number', 'terminal', 1, 'PROTOCOL_ERROR'],
    ['terminal null', 'terminal', null, 'PROTOCOL_ERROR'],
    ['auth missing', 'auth', undefined, 'PROTOCOL_ERROR'],
    ['auth null', 'auth', null, 'PROTOCOL_ERROR'],
    ['auth an array', 'auth', [], 'PROTOCOL_ERROR'],
    ['auth a string', 'auth', 'alice:pw', 'PROTOCOL_ERROR'],
    ['auth with an extra field', 'auth.role', 'admin', 'PROTOCOL_ERROR'],
    ['auth.method missing', 'auth.method', undefined, 'PROTOCOL_ERROR'],
    ['auth.method PASSWORD', 'auth.method', 'PASSWORD', 'PROTOCOL_ERROR'],
    ['auth.method token', 'auth.method', 'token', 'PROTOCOL_ERROR'],
    ['auth.method a number', 'auth.method', 0, 'PROTOCOL_ERROR'],
    ['auth.user missing', 'auth.user', undefined, 'PROTOCOL_ERROR'],
    ['auth.user 2 chars', 'auth.user', 'ab', 'PROTOCOL_ERROR'],
    ['auth.user 33 chars', 'auth.user', `a${'b'.repeat(32)}`, 'PROTOCOL_ERROR'],
    ['auth.user upper case', 'auth.user', 'Alice', 'PROTOCOL_ERROR'],
    ['auth.user starting with a digit', 'auth.user', '1alice', 'PROTOCOL_ERROR'],
    ['auth.user starting with a symbol', 'auth.user', '_alice', 'PROTOCOL_ERROR'],
    ['auth.user with a space', 'auth.user', 'al ice', 'PROTOCOL_ERROR'],
    ['auth.user with an @', 'auth.user', 'al@ice', 'PROTOCOL_ERROR'],
    ['auth.user with a trailing newline', 'auth.user', 'alice\n', 'PROTOCOL_ERROR'],
    ['auth.user a number', 'auth.user', 12345, 'PROTOCOL_ERROR'],
    ['auth.password missing', 'auth.password', undefined, 'PROTOCOL_ERROR'],
    ['auth.password empty', 'auth.password', '', 'PROTOCOL_ERROR'],
    ['auth.password 1025 chars', 'auth.password', 'p'.repeat(1025), 'PROTOCOL_ERROR'],
    ['auth.password a number', 'auth.password', 123456789012, 'PROTOCOL_ERROR'],
    ['auth.password null', 'auth.password', null, 'PROTOCOL_ERROR'],
    ['auth.totp 5 digits', 'auth.totp', '12345', 'PROTOCOL_ERROR'],
    ['auth.totp 7 digits', 'auth.totp', '1234567', 'PROTOCOL_ERROR'],
    ['auth.totp letters', 'auth.totp', 'abcdef', 'PROTOCOL_ERROR'],
    ['auth.totp a number', 'auth.totp', 123456, 'PROTOCOL_ERROR'],
    ['auth.totp empty', 'auth.totp', '', 'PROTOCOL_ERROR'],
    ['auth.totp null', 'auth.totp', null, 'PROTOCOL_ERROR'],
    ['an extra top-level field', 'extra', true, 'PROTOCOL_ERROR'],
    ['an extra field named __proto__', '__proto__', {}, 'PROTOCOL_ERROR'],
  ];

  it.each(fieldCases)('refuses %s', (_name, path, value, code) => {
    const payload =
      path === '__proto__'
        ? JSON.stringify(hello()).replace(/}$/, ',"__proto__":{}}')
        : JSON.stringify(withField(hello, path, value));
    expect(codeOf(parseHello(payload))).toBe(code);
  });

  it('checks the protocol before anything else a newer version may change', () => {
    const future = { ...withField(hello, 'protocol', 'secure-atm/2'), clientKey: 'a new format', newField: 1 };
    expect(codeOf(parseHello(JSON.stringify(future)))).toBe('UNSUPPORTED_PROTOCOL');
  });

  it.each<[string, string | Buffer]>([
    ['empty', ''],
    ['not JSON', 'hello'],
    ['truncated JSON', JSON.stringify(hello()).slice(0, -1)],
    ['a JSON array', JSON.stringify([hello()])],
    ['JSON null', 'null'],
    ['a JSON number', '42'],
    ['a JSON string', '"hello"'],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from('{"type":"hello","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    ],
  ])('refuses %s with PROTOCOL_ERROR, never a throw', (_name, payload) => {
    expect(codeOf(parseHello(payload))).toBe('PROTOCOL_ERROR');
  });

  it('puts no secret in its error messages', () => {
    for (const [path, value] of [
      ['auth.totp', 'Secret-Pw-99'],
      ['auth.password', 'S'.repeat(1025)],
      ['auth.user', 'Correct-Horse-42'],
    ] as const) {
      const result = parseHello(JSON.stringify(withField(hello, path, value)));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.message).not.toContain(value.slice(0, 12));
        expect(result.error.message).not.toContain('Correct-Horse-42');
      }
    }
  });
});

describe('parseWelcome', () => {
  it('accepts a welcome and decodes its byte fields', () => {
    const result = parseWelcome(JSON.stringify(welcome()));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.serverNonce.equals(Buffer.alloc(32, 0x11))).toBe(true);
    expect(result.value.serverKey.equals(Buffer.alloc(32, 0x4b))).toBe(true);
    expect(result.value.sessionId.equals(Buffer.alloc(16, 0x33))).toBe(true);
    expect(result.value.message).toEqual(welcome());
  });

  it.each<[string, string, unknown, string]>([
    ['type missing', 'type', undefined, 'PROTOCOL_ERROR'],
    ['type hello', 'type', 'hello', 'PROTOCOL_ERROR'],
    ['protocol secure-atm/2', 'protocol', 'secure-atm/2', 'UNSUPPORTED_PROTOCOL'],
    ['protocol missing', 'protocol', undefined, 'UNSUPPORTED_PROTOCOL'],
    ...badB64(B32).map(
      ([n, val]) => [`serverNonce ${n}`, 'serverNonce', val, 'PROTOCOL_ERROR'] as [string, string, unknown, string],
    ),
    ...badB64(KEY).map(
      ([n, val]) => [`serverKey ${n}`, 'serverKey', val, 'PROTOCOL_ERROR'] as [string, string, unknown, string],
    ),
    ['sessionId 15 bytes', 'sessionId', Buffer.alloc(15).toString('base64'), 'PROTOCOL_ERROR'],
    ['sessionId 17 bytes', 'sessionId', Buffer.alloc(17).toString('base64'), 'PROTOCOL_ERROR'],
    ['sessionId 32 bytes', 'sessionId', B32, 'PROTOCOL_ERROR'],
    ['sessionId unpadded', 'sessionId', B16.replace(/=+$/, ''), 'PROTOCOL_ERROR'],
    ['sessionId missing', 'sessionId', undefined, 'PROTOCOL_ERROR'],
    ['user missing', 'user', undefined, 'PROTOCOL_ERROR'],
    ['user upper case', 'user', 'Alice', 'PROTOCOL_ERROR'],
    ['user too short', 'user', 'al', 'PROTOCOL_ERROR'],
    ['idleTimeoutSec missing', 'idleTimeoutSec', undefined, 'PROTOCOL_ERROR'],
    ['idleTimeoutSec 0', 'idleTimeoutSec', 0, 'PROTOCOL_ERROR'],
    ['idleTimeoutSec negative', 'idleTimeoutSec', -300, 'PROTOCOL_ERROR'],
    ['idleTimeoutSec a float', 'idleTimeoutSec', 1.5, 'PROTOCOL_ERROR'],
    ['idleTimeoutSec a string', 'idleTimeoutSec', '300', 'PROTOCOL_ERROR'],
    ['idleTimeoutSec unsafe', 'idleTimeoutSec', 2 ** 53, 'PROTOCOL_ERROR'],
  ])('refuses %s', (_name, path, value, code) => {
    expect(codeOf(parseWelcome(JSON.stringify(withField(welcome, path, value))))).toBe(code);
  });

  it.each(['', 'junk', '[]', 'null', '{"type":"error","code":"AUTH_FAILED","message":"x"}'])(
    'refuses %j with PROTOCOL_ERROR',
    (payload) => {
      expect(codeOf(parseWelcome(payload))).toBe('PROTOCOL_ERROR');
    },
  );
});

describe('parseHandshakeReply', () => {
  it('returns a welcome', () => {
    const result = parseHandshakeReply(Buffer.from(JSON.stringify(welcome())));
    expect(result.ok && result.value.kind).toBe('welcome');
    if (result.ok && result.value.kind === 'welcome') {
      expect(result.value.welcome.sessionId.equals(Buffer.alloc(16, 0x33))).toBe(true);
    }
  });

  it.each(['AUTH_FAILED', 'ACCOUNT_LOCKED', 'TOTP_REQUIRED', 'RATE_LIMITED', 'UNSUPPORTED_PROTOCOL', 'PROTOCOL_ERROR'])(
    'returns an error frame with code %s as a value',
    (code) => {
      const result = parseHandshakeReply(JSON.stringify({ type: 'error', code, message: 'no' }));
      expect(result).toEqual({ ok: true, value: { kind: 'error', error: { type: 'error', code, message: 'no' } } });
    },
  );

  it.each<[string, unknown, string]>([
    ['an error frame with an unknown code', { type: 'error', code: 'NOPE', message: 'x' }, 'PROTOCOL_ERROR'],
    [
      'an error frame with an internal code',
      { type: 'error', code: 'INTEGRITY_FAILURE', message: 'x' },
      'PROTOCOL_ERROR',
    ],
    ['an error frame with code toString', { type: 'error', code: 'toString', message: 'x' }, 'PROTOCOL_ERROR'],
    ['an error frame without a message', { type: 'error', code: 'AUTH_FAILED' }, 'PROTOCOL_ERROR'],
    ['an error frame with a numeric message', { type: 'error', code: 'AUTH_FAILED', message: 1 }, 'PROTOCOL_ERROR'],
    ['an error frame without a code', { type: 'error', message: 'x' }, 'PROTOCOL_ERROR'],
    ['a welcome of another protocol', withField(welcome, 'protocol', 'secure-atm/9'), 'UNSUPPORTED_PROTOCOL'],
    ['a malformed welcome', withField(welcome, 'sessionId', 'x'), 'PROTOCOL_ERROR'],
    ['a hello', hello(), 'PROTOCOL_ERROR'],
    ['an object without type', { code: 'AUTH_FAILED', message: 'x' }, 'PROTOCOL_ERROR'],
    ['an array', [welcome()], 'PROTOCOL_ERROR'],
  ])('refuses %s', (_name, value, code) => {
    expect(codeOf(parseHandshakeReply(JSON.stringify(value)))).toBe(code);
  });

  it.each(['', 'not json', '{"type":"welcome"'])('refuses %j with PROTOCOL_ERROR', (payload) => {
    expect(codeOf(parseHandshakeReply(payload))).toBe('PROTOCOL_ERROR');
  });
});
