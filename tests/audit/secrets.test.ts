import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptAll, isSecretKeyName, REDACTED, redactDetail } from '../../audit/index.js';
import { makeKeys, openLogWith, removeTempDirs, segmentFiles, tempDir } from './audit-fixtures.js';

afterEach(removeTempDirs);

const PASSWORD = 'Correct-Horse-Battery-9';
const NEW_PASSWORD = 'Tr0ub4dor&3-Newer';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const TOTP_CODE = '492039';
const OTPAUTH = `otpauth://totp/secure-atm:alice?secret=${TOTP_SECRET}&issuer=secure-atm`;
const SESSION_KEY = 'c2Vzc2lvbi1rZXktbWF0ZXJpYWwtZG8tbm90LWxvZw==';
const TOKEN = 'tok_8f7e6d5c4b3a2910';
const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+secretpem\n-----END PRIVATE KEY-----';
const SECRETS = [PASSWORD, NEW_PASSWORD, TOTP_SECRET, TOTP_CODE, SESSION_KEY, TOKEN, 'secretpem'];

describe('secrets never reach either log', () => {
  it('passwords, TOTP secrets and codes, keys and tokens fed in detail appear in neither file', async () => {
    const dir = await tempDir();
    const keys = makeKeys();
    const log = await openLogWith(dir, keys);
    log.record({ kind: 'login', actor: 'alice', detail: { password: PASSWORD, totp: TOTP_CODE } });
    log.record({
      kind: 'request',
      op: 'password.change',
      code: 'WEAK_PASSWORD',
      detail: { current: PASSWORD, new: NEW_PASSWORD },
    });
    log.record({
      kind: 'request',
      op: 'totp.enroll',
      detail: { totpSecret: TOTP_SECRET, otpauthUri: OTPAUTH, qr: OTPAUTH },
    });
    log.record({
      kind: 'login_failed',
      detail: { auth: { method: 'password', params: { user: 'alice', password: PASSWORD, totpCode: TOTP_CODE } } },
    });
    log.record({
      kind: 'session_open',
      detail: { sessionKey: SESSION_KEY, keys: { enc: SESSION_KEY }, api_token: TOKEN, 'x-auth-token': TOKEN },
    });
    log.record({
      kind: 'operator_action',
      detail: { list: [{ secret: TOTP_SECRET }, { pin: '1234' }], code: TOTP_CODE, pem: PEM },
    });
    log.record({ kind: 'request', detail: { raw: Buffer.from(PASSWORD), map: new Map([['password', PASSWORD]]) } });
    await log.close();

    const plain = await readFile(join(dir, 'audit.log'), 'utf8');
    const segments = await segmentFiles(dir);
    const raw = (await Promise.all(segments.map((s) => readFile(s, 'utf8')))).join('');
    const decrypted = JSON.stringify(await decryptAll(segments, keys.auditorSecretKey));
    for (const secret of SECRETS) {
      expect(plain).not.toContain(secret);
      expect(raw).not.toContain(secret);
      expect(decrypted).not.toContain(secret);
    }
    expect(plain).not.toContain('otpauth://');
    expect(plain).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    // ...while what is not secret stays, including the top-level error code.
    expect(plain).toContain('"code":"WEAK_PASSWORD"');
    expect(plain).toContain('"op":"password.change"');
    expect(plain).toContain('"user":"alice"');
    expect(plain).toContain('"method":"password"');
    expect(decrypted).toContain(REDACTED);
  });
});

describe('redaction rules', () => {
  it('names secrets by key words in any case style', () => {
    for (const key of [
      'password',
      'newPassword',
      'PASSWORD',
      'current',
      'new',
      'totp',
      'totpCode',
      'TOTPSecret',
      'otp',
      'otpauthUri',
      'secret',
      'clientSecret',
      'key',
      'apiKey',
      'signing_key',
      'x-api-key',
      'token',
      'refreshToken',
      'pin',
      'seed',
      'authorization',
    ]) {
      expect(isSecretKeyName(key), key).toBe(true);
    }
    for (const key of [
      'user',
      'op',
      'amountCents',
      'currentBalance',
      'newsletter',
      'keyboard',
      'monkey',
      'footprint',
      'reason',
      'method',
      'passed',
      'code',
    ]) {
      expect(isSecretKeyName(key), key).toBe(false);
    }
  });

  it('censors at any depth, keeps structure, and makes a JSON-safe copy', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const input = {
      a: { b: { c: { password: 'x', keep: 1 } } },
      list: [{ token: 't' }, 'plain'],
      big: 10n,
      when: new Date('2025-01-01T00:00:00Z'),
      fn: () => 1,
      bytes: new Uint8Array([1, 2, 3]),
      error: Object.assign(new Error('boom'), { code: 'E_BOOM' }),
      cyclic,
      code: 'INSUFFICIENT_FUNDS',
      otp: { code: '123456' },
      nested: { code: '654321' },
    };
    expect(redactDetail(input)).toEqual({
      a: { b: { c: { password: REDACTED, keep: 1 } } },
      list: [{ token: REDACTED }, 'plain'],
      big: '10',
      when: '2025-01-01T00:00:00.000Z',
      bytes: '[binary]',
      error: { name: 'Error', message: 'boom', code: 'E_BOOM' },
      cyclic: { name: 'loop', self: '[circular]' },
      code: 'INSUFFICIENT_FUNDS',
      otp: REDACTED,
      nested: { code: REDACTED },
    });
  });

  it('does not let a __proto__ key change the copy', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as Record<string, unknown>;
    const copy = redactDetail(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"ok":1}');
  });

  it('cuts very deep and very long values', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let k = 0; k < 20; k++) deep = { d: deep };
    expect(JSON.stringify(redactDetail(deep))).toContain('[too deep]');
    const long = redactDetail({ s: 'x'.repeat(10_000), arr: Array.from({ length: 500 }, (_, k) => k) }) as {
      s: string;
      arr: unknown[];
    };
    expect(long.s.length).toBeLessThan(2100);
    expect(long.arr).toHaveLength(201);
  });
});
