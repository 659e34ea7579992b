import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { AuditError, isErrno } from '../errors.js';
import { formatKeyFile, generateAuditorKeyPair, readAuditorPublicKey, readKeyFile, writeKeyFile } from './key-files.js';

/** The keys a server needs to write its audit log. */
export interface AuditKeys {
  auditorPublicKey: Uint8Array;
  signingSecretKey: Uint8Array;
  /** Path of the auditor SECRET key when it sits in the data dir (demo): the server warns loudly. */
  demoAuditorSecretPath: string | null;
}

/** File names under `<data-dir>/keys` (DESIGN.md). */
export const AUDIT_KEY_FILES = {
  signing: 'audit-signing.key',
  auditorPublic: 'auditor.pub',
  auditorSecret: 'auditor.key',
} as const;

export async function prepareAuditKeys(options: { keysDir: string; auditorKeyFile?: string }): Promise<AuditKeys> {
  const { keysDir } = options;
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const signingSecretKey = await loadOrCreateSigningKey(join(keysDir, AUDIT_KEY_FILES.signing));
  const publicPath = join(keysDir, AUDIT_KEY_FILES.auditorPublic);
  const secretPath = join(keysDir, AUDIT_KEY_FILES.auditorSecret);

  if (options.auditorKeyFile !== undefined) {
    const auditorPublicKey = await readAuditorPublicKey(options.auditorKeyFile);
    await storePublicKey(publicPath, auditorPublicKey);
    return { auditorPublicKey, signingSecretKey, demoAuditorSecretPath: await demoSecretIfPresent(secretPath) };
  }

  try {
    const auditorPublicKey = await readAuditorPublicKey(publicPath);
    return { auditorPublicKey, signingSecretKey, demoAuditorSecretPath: await demoSecretIfPresent(secretPath) };
  } catch (err) {
    if (!(err instanceof AuditError && err.code === 'AUDIT_KEY_NOT_FOUND')) throw err;
  }

  // A new demo data dir: the auditor pair is made here, and the server warns on every start.
  const pair = generateAuditorKeyPair();
  try {
    await writeKeyFile(
      'auditorSecret',
      secretPath,
      pair.secretKey,
      0o600,
      'DEMO auditor SECRET key made by the server: anyone with this data dir can read the audit log',
    );
    await writeKeyFile('auditorPublic', publicPath, pair.publicKey, 0o644, 'secure-atm auditor public key (demo)');
  } finally {
    pair.secretKey.fill(0);
  }
  return { auditorPublicKey: pair.publicKey, signingSecretKey, demoAuditorSecretPath: secretPath };
}

async function loadOrCreateSigningKey(file: string): Promise<Uint8Array> {
  try {
    return await readKeyFile('signingSecret', file);
  } catch (err) {
    if (!(err instanceof AuditError && err.code === 'AUDIT_KEY_NOT_FOUND')) throw err;
  }
  const pair = nacl.sign.keyPair();
  try {
    await writeKeyFile('signingSecret', file, pair.secretKey, 0o600, 'Ed25519 key that signs audit checkpoints');
  } catch (err) {
    // Another process made it first: use theirs.
    if (err instanceof AuditError && err.code === 'AUDIT_KEY_EXISTS') return readKeyFile('signingSecret', file);
    throw err;
  }
  return pair.secretKey;
}

/** keys/auditor.pub mirrors the key given with --auditor-key, replaced atomically when it changes. */
async function storePublicKey(file: string, key: Uint8Array): Promise<void> {
  try {
    const current = await readAuditorPublicKey(file);
    if (Buffer.from(current).equals(key)) return;
  } catch (err) {
    if (!(err instanceof AuditError)) throw err;
  }
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, formatKeyFile('auditorPublic', key, 'secure-atm auditor public key (from --auditor-key)'), {
    mode: 0o644,
  });
  await rename(temp, file);
}

/**
 * Any auditor secret in the data dir is reported, even one for an older auditor key: it
 * still opens the segments sealed to that key.
 */
async function demoSecretIfPresent(secretPath: string): Promise<string | null> {
  try {
    await access(secretPath);
    return secretPath;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    return secretPath;
  }
}
