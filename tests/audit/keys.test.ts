import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auditorPublicKeyOf,
  prepareAuditKeys,
  readAuditorPublicKey,
  readAuditorSecretKey,
  writeAuditorKeyPair,
} from '../../audit/index.js';
import { removeTempDirs, tempDir } from './audit-fixtures.js';

afterEach(removeTempDirs);

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('prepareAuditKeys', () => {
  it('in a new data dir: makes the signing key and a demo auditor pair, and says where the secret sits', async () => {
    const keysDir = join(await tempDir(), 'keys');
    const keys = await prepareAuditKeys({ keysDir });
    expect(await modeOf(keysDir)).toBe(0o700);
    expect(await modeOf(join(keysDir, 'audit-signing.key'))).toBe(0o600);
    expect(await modeOf(join(keysDir, 'auditor.key'))).toBe(0o600);
    expect(keys.demoAuditorSecretPath).toBe(join(keysDir, 'auditor.key'));
    expect(keys.signingSecretKey).toHaveLength(64);
    // The signing key is a real tweetnacl pair: seed then public key.
    expect(Buffer.from(nacl.sign.keyPair.fromSeed(keys.signingSecretKey.subarray(0, 32)).publicKey)).toEqual(
      Buffer.from(keys.signingSecretKey.subarray(32)),
    );
    const secret = await readAuditorSecretKey(join(keysDir, 'auditor.key'));
    expect(Buffer.from(auditorPublicKeyOf(secret))).toEqual(Buffer.from(keys.auditorPublicKey));
    expect(Buffer.from(await readAuditorPublicKey(join(keysDir, 'auditor.pub')))).toEqual(
      Buffer.from(keys.auditorPublicKey),
    );
  });

  it('on later starts: the same keys again', async () => {
    const keysDir = join(await tempDir(), 'keys');
    const first = await prepareAuditKeys({ keysDir });
    const second = await prepareAuditKeys({ keysDir });
    expect(Buffer.from(second.signingSecretKey)).toEqual(Buffer.from(first.signingSecretKey));
    expect(Buffer.from(second.auditorPublicKey)).toEqual(Buffer.from(first.auditorPublicKey));
    expect(second.demoAuditorSecretPath).toBe(first.demoAuditorSecretPath);
  });

  it('with --auditor-key: uses that public key, copies it to keys/auditor.pub, makes no secret', async () => {
    const dir = await tempDir();
    const written = await writeAuditorKeyPair(join(dir, 'auditor.key'));
    const keysDir = join(dir, 'data', 'keys');
    const keys = await prepareAuditKeys({ keysDir, auditorKeyFile: written.publicKeyFile });
    expect(Buffer.from(keys.auditorPublicKey).toString('base64')).toBe(written.publicKey);
    expect(keys.demoAuditorSecretPath).toBeNull();
    expect(Buffer.from(await readAuditorPublicKey(join(keysDir, 'auditor.pub'))).toString('base64')).toBe(
      written.publicKey,
    );
    await expect(stat(join(keysDir, 'auditor.key'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('with --auditor-key pointing at a SECRET key: a clear error, nothing replaced', async () => {
    const dir = await tempDir();
    const written = await writeAuditorKeyPair(join(dir, 'auditor.key'));
    await expect(
      prepareAuditKeys({ keysDir: join(dir, 'keys'), auditorKeyFile: written.secretKeyFile }),
    ).rejects.toMatchObject({ code: 'AUDIT_KEY_WRONG_TYPE', message: expect.stringContaining('SECRET') });
  });

  it('a damaged signing key is refused, not silently replaced', async () => {
    const keysDir = join(await tempDir(), 'keys');
    await prepareAuditKeys({ keysDir });
    const file = join(keysDir, 'audit-signing.key');
    const text = await readFile(file, 'utf8');
    await writeFile(
      file,
      text.replace(/:(.)/, (_, c: string) => `:${c === 'A' ? 'B' : 'A'}`),
    );
    await expect(prepareAuditKeys({ keysDir })).rejects.toMatchObject({ code: 'AUDIT_KEY_INVALID' });
  });
});

describe('key files', () => {
  it('writeAuditorKeyPair: secret 0600, public 0644 beside it, and never overwrites', async () => {
    const dir = await tempDir();
    const written = await writeAuditorKeyPair(join(dir, 'auditor.key'));
    expect(written.secretKeyFile).toBe(join(dir, 'auditor.key'));
    expect(written.publicKeyFile).toBe(join(dir, 'auditor.pub'));
    expect(await modeOf(written.secretKeyFile)).toBe(0o600);
    expect(await modeOf(written.publicKeyFile)).toBe(0o644);
    expect(await readFile(written.publicKeyFile, 'utf8')).toContain(`auditor-public-x25519:${written.publicKey}`);
    await expect(writeAuditorKeyPair(join(dir, 'auditor.key'))).rejects.toMatchObject({ code: 'AUDIT_KEY_EXISTS' });
    const other = await writeAuditorKeyPair(join(dir, 'other'));
    expect(other.publicKeyFile).toBe(join(dir, 'other.pub'));
  });

  it('readers give stable codes for missing, malformed and swapped files', async () => {
    const dir = await tempDir();
    const written = await writeAuditorKeyPair(join(dir, 'auditor.key'));
    await expect(readAuditorPublicKey(join(dir, 'nope.pub'))).rejects.toMatchObject({ code: 'AUDIT_KEY_NOT_FOUND' });
    await expect(readAuditorSecretKey(written.publicKeyFile)).rejects.toMatchObject({ code: 'AUDIT_KEY_WRONG_TYPE' });
    const cases: Array<[string, string]> = [
      ['empty', ''],
      ['no prefix', `${Buffer.alloc(32, 1).toString('base64')}\n`],
      ['short key', `auditor-public-x25519:${Buffer.alloc(31, 1).toString('base64')}\n`],
      ['junk base64', 'auditor-public-x25519:not base64 at all!!\n'],
      [
        'two keys',
        `auditor-public-x25519:${Buffer.alloc(32, 1).toString('base64')}\nauditor-public-x25519:${Buffer.alloc(32, 2).toString('base64')}\n`,
      ],
      ['binary', '\u0000\u0001\u0002'],
    ];
    for (const [name, text] of cases) {
      const file = join(dir, `${name.replace(' ', '-')}.pub`);
      await writeFile(file, text);
      await expect(readAuditorPublicKey(file), name).rejects.toMatchObject({
        code: 'AUDIT_KEY_INVALID',
        message: expect.stringContaining(file),
      });
    }
    await expect(readAuditorPublicKey(dir)).rejects.toMatchObject({ code: 'AUDIT_KEY_INVALID' });
  });

  it('accepts comments, blank lines and CRLF around the key line', async () => {
    const dir = await tempDir();
    const key = nacl.box.keyPair().publicKey;
    const file = join(dir, 'a.pub');
    await writeFile(file, `# a comment\r\n\r\nauditor-public-x25519:${Buffer.from(key).toString('base64')}\r\n`);
    expect(Buffer.from(await readAuditorPublicKey(file))).toEqual(Buffer.from(key));
  });
});
