import { chmod, open, readFile, rm } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { fromB64, toB64 } from '../../protocol/index.js';
import { AuditError, isErrno } from '../errors.js';
import { ED25519_SECRET_BYTES, ed25519PublicFromSecret } from './ed25519.js';

/**
 * Key files are text: optional `#` comment lines, then one line `<type>:<base64>`.
 * The type prefix makes a swapped file (a secret where a public key belongs) a clear
 * error instead of a silent wrong key.
 */
export const KEY_FILE_TYPES = {
  auditorPublic: { prefix: 'auditor-public-x25519', bytes: 32, label: 'an auditor public key' },
  auditorSecret: { prefix: 'auditor-secret-x25519', bytes: 32, label: 'an auditor SECRET key' },
  signingSecret: { prefix: 'audit-signing-ed25519', bytes: ED25519_SECRET_BYTES, label: 'an audit signing key' },
  signingPublic: { prefix: 'audit-signing-ed25519-public', bytes: 32, label: 'an audit signing public key' },
} as const;

export type KeyFileType = keyof typeof KEY_FILE_TYPES;

const MAX_KEY_FILE_BYTES = 4096;

/** The text of a key file of that type. */
export function formatKeyFile(type: KeyFileType, key: Uint8Array, comment?: string): string {
  const spec = KEY_FILE_TYPES[type];
  if (key.length !== spec.bytes) throw new RangeError(`${spec.label} must be ${spec.bytes} bytes`);
  const head = comment ? `# ${comment}\n` : '';
  return `${head}${spec.prefix}:${toB64(key)}\n`;
}

/** Parse key file text; errors carry AUDIT_KEY_INVALID or AUDIT_KEY_WRONG_TYPE and name `where`. */
export function parseKeyFile(type: KeyFileType, text: string, where: string): Uint8Array {
  const spec = KEY_FILE_TYPES[type];
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const expected = `expected one line "${spec.prefix}:<base64>"`;
  if (lines.length !== 1) throw new AuditError('AUDIT_KEY_INVALID', `${where} is not ${spec.label} file (${expected})`);
  const line = lines[0] ?? '';
  const colon = line.indexOf(':');
  const prefix = colon < 0 ? '' : line.slice(0, colon);
  if (prefix !== spec.prefix) {
    const other = Object.values(KEY_FILE_TYPES).find((t) => t.prefix === prefix);
    if (other) {
      throw new AuditError('AUDIT_KEY_WRONG_TYPE', `${where} holds ${other.label}, not ${spec.label}`);
    }
    throw new AuditError('AUDIT_KEY_INVALID', `${where} is not ${spec.label} file (${expected})`);
  }
  const key = fromB64(line.slice(colon + 1), spec.bytes);
  if (!key) {
    throw new AuditError('AUDIT_KEY_INVALID', `${where}: ${spec.label} must be ${spec.bytes} bytes of base64`);
  }
  if (type === 'signingSecret' && !Buffer.from(ed25519PublicFromSecret(key)).equals(key.subarray(32))) {
    throw new AuditError('AUDIT_KEY_INVALID', `${where}: signing key halves do not belong together`);
  }
  return new Uint8Array(key);
}

/** Read and parse a key file; a missing file is AUDIT_KEY_NOT_FOUND. */
export async function readKeyFile(type: KeyFileType, file: string): Promise<Uint8Array> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_KEY_FILE_BYTES) {
        throw new AuditError('AUDIT_KEY_INVALID', `${file} is too large to be ${KEY_FILE_TYPES[type].label} file`);
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof AuditError) throw err;
    if (isErrno(err, 'ENOENT')) {
      throw new AuditError('AUDIT_KEY_NOT_FOUND', `key file not found: ${file}`, { cause: err });
    }
    throw new AuditError('AUDIT_KEY_INVALID', `cannot read key file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseKeyFile(type, text, file);
}

/**
 * Create a key file that did not exist (`wx`), with `mode`; a file already there is
 * AUDIT_KEY_EXISTS, so a key is never silently replaced.
 */
export async function writeKeyFile(
  type: KeyFileType,
  file: string,
  key: Uint8Array,
  mode: number,
  comment?: string,
): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'wx', mode);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) throw new AuditError('AUDIT_KEY_EXISTS', `refusing to overwrite ${file}`);
    throw err;
  }
  try {
    await handle.writeFile(formatKeyFile(type, key, comment), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // umask can only clear bits, but be explicit: secrets must end up exactly 0600.
  await chmod(file, mode);
}

/** A fresh auditor key pair (nacl.box, X25519). */
export function generateAuditorKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const pair = nacl.box.keyPair();
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** The auditor public key that belongs to a secret. */
export function auditorPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return nacl.box.keyPair.fromSecretKey(secretKey).publicKey;
}

export function readAuditorPublicKey(file: string): Promise<Uint8Array> {
  return readKeyFile('auditorPublic', file);
}

export function readAuditorSecretKey(file: string): Promise<Uint8Array> {
  return readKeyFile('auditorSecret', file);
}

/** `<name>.key` → `<name>.pub`, anything else → `<file>.pub`. */
export function publicKeyPathFor(secretFile: string): string {
  return secretFile.endsWith('.key') ? `${secretFile.slice(0, -'.key'.length)}.pub` : `${secretFile}.pub`;
}

/**
 * `bank-audit keygen`: the secret to `outFile` (0600), the public key beside it (0644).
 * Neither file may exist yet.
 */
export async function writeAuditorKeyPair(
  outFile: string,
): Promise<{ publicKeyFile: string; secretKeyFile: string; publicKey: string }> {
  const publicKeyFile = publicKeyPathFor(outFile);
  const pair = generateAuditorKeyPair();
  try {
    await writeKeyFile(
      'auditorSecret',
      outFile,
      pair.secretKey,
      0o600,
      'secure-atm auditor SECRET key: decrypts the audit logs. Keep it off the server.',
    );
    try {
      await writeKeyFile(
        'auditorPublic',
        publicKeyFile,
        pair.publicKey,
        0o644,
        'secure-atm auditor public key: start the server with --auditor-key <this file>',
      );
    } catch (err) {
      await rm(outFile, { force: true });
      throw err;
    }
  } finally {
    pair.secretKey.fill(0);
  }
  return { publicKeyFile, secretKeyFile: outFile, publicKey: toB64(pair.publicKey) };
}

/** Read a whole small file or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
