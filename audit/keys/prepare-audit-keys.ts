import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import nacl from 'tweetnacl';
import { AuditError, isErrno } from '../errors.js';
import { syncDirectory } from '../writer/segment-file.js';
import { signingKeyFingerprint } from './fingerprint.js';
import {
  formatKeyFile,
  generateAuditorKeyPair,
  readAuditorPublicKey,
  readIfExists,
  readKeyFile,
  writeKeyFile,
} from './key-files.js';

/** The keys a server needs to write its audit log. */
export interface AuditKeys {
  auditorPublicKey: Uint8Array;
  signingSecretKey: Uint8Array;
  /** The public half, as `keys/audit-signing.pub` holds it. */
  signingPublicKey: Uint8Array;
  /** What `init` and `start` print for the auditor to pin (see fingerprint.ts). */
  signingFingerprint: string;
  /**
   * A rotation asked for by `bank-server audit rotate-key` (keys/audit-signing.next.key):
   * the audit log hands over to it on open, then `commitSigningKeyRotation` makes it current.
   */
  nextSigningSecretKey: Uint8Array | null;
  /** Path of the auditor SECRET key when it sits in the data dir (demo): the server warns loudly. */
  demoAuditorSecretPath: string | null;
  /** Where this instance's signing key and its public half are (what init prints for the auditor). */
  signingKeyPath: string;
  signingPublicKeyPath: string;
}

export interface PrepareAuditKeysOptions {
  /** `<data-dir>/keys`: the auditor's public key (and a demo auditor pair). */
  keysDir: string;
  /**
   * The instance's signing key; default `<keysDir>/audit-signing.key` (instance `main`). Its
   * public half (`audit-signing.pub`) and a pending rotation (`audit-signing.next.key`) live
   * in the same folder, which is made 0700 when missing.
   */
  signingKeyPath?: string;
  auditorKeyFile?: string;
}

/** File names under `<data-dir>/keys` (DESIGN.md). */
export const AUDIT_KEY_FILES = {
  signing: 'audit-signing.key',
  signingPublic: 'audit-signing.pub',
  signingNext: 'audit-signing.next.key',
  auditorPublic: 'auditor.pub',
  auditorSecret: 'auditor.key',
} as const;

/**
 * The keys a start needs: the instance's signing key (made on its first start, 0600, with the
 * public half beside it), the auditor's public key (from --auditor-key, the data dir's, or a
 * new demo pair) and any pending signing-key rotation.
 */
export async function prepareAuditKeys(options: PrepareAuditKeysOptions): Promise<AuditKeys> {
  const { keysDir } = options;
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const signingKeyPath = options.signingKeyPath ?? join(keysDir, AUDIT_KEY_FILES.signing);
  if (basename(signingKeyPath) !== AUDIT_KEY_FILES.signing) {
    // A rotation renames audit-signing.next.key to this name in the same folder.
    throw new AuditError('AUDIT_USAGE', `the signing key must be named ${AUDIT_KEY_FILES.signing}: ${signingKeyPath}`);
  }
  const signingDir = dirname(signingKeyPath);
  await mkdir(signingDir, { recursive: true, mode: 0o700 });
  const signingSecretKey = await loadOrCreateSigningKey(signingKeyPath);
  const signing = {
    ...(await signingKeysOf(signingDir, signingSecretKey)),
    signingKeyPath,
    signingPublicKeyPath: join(signingDir, AUDIT_KEY_FILES.signingPublic),
  };
  const publicPath = join(keysDir, AUDIT_KEY_FILES.auditorPublic);
  const secretPath = join(keysDir, AUDIT_KEY_FILES.auditorSecret);

  if (options.auditorKeyFile !== undefined) {
    const auditorPublicKey = await readAuditorPublicKey(options.auditorKeyFile);
    await storePublicKey(publicPath, auditorPublicKey);
    return { auditorPublicKey, ...signing, demoAuditorSecretPath: await demoSecretIfPresent(secretPath) };
  }

  try {
    const auditorPublicKey = await readAuditorPublicKey(publicPath);
    return { auditorPublicKey, ...signing, demoAuditorSecretPath: await demoSecretIfPresent(secretPath) };
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
  return { auditorPublicKey: pair.publicKey, ...signing, demoAuditorSecretPath: secretPath };
}

/** The signing key's public file (made for data dirs older than it) and a pending rotation, if any; `keysDir` holds the signing files. */
async function signingKeysOf(keysDir: string, signingSecretKey: Uint8Array) {
  const signingPublicKey = Uint8Array.from(signingSecretKey.subarray(32));
  await storeSigningPublicKey(join(keysDir, AUDIT_KEY_FILES.signingPublic), signingPublicKey);
  let nextSigningSecretKey: Uint8Array | null = null;
  try {
    nextSigningSecretKey = await readKeyFile('signingSecret', join(keysDir, AUDIT_KEY_FILES.signingNext));
  } catch (err) {
    if (!(err instanceof AuditError && err.code === 'AUDIT_KEY_NOT_FOUND')) throw err;
  }
  return {
    signingSecretKey,
    signingPublicKey,
    signingFingerprint: signingKeyFingerprint(signingPublicKey),
    nextSigningSecretKey,
  };
}

/**
 * keys/audit-signing.pub: the public half of audit-signing.key, for the auditor to copy
 * (`bank-audit verify --signer`). It is derived, so it is (re)written whenever it does not
 * match the secret, atomically.
 */
async function storeSigningPublicKey(file: string, key: Uint8Array): Promise<void> {
  const text = formatKeyFile(
    'signingPublic',
    key,
    'secure-atm audit signing PUBLIC key: pin it (bank-audit verify --signer)',
  );
  if ((await readIfExists(file)) === text) return;
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

/**
 * `bank-server audit rotate-key`: a fresh signing key as keys/audit-signing.next.key (0600).
 * The server hands over to it at its next start (a rotating close signed by the current
 * key names it), so nothing races a running writer. Refuses when a rotation is pending.
 */
export async function requestSigningKeyRotation(
  keysDir: string,
): Promise<{ file: string; publicKey: Uint8Array; fingerprint: string }> {
  const file = join(keysDir, AUDIT_KEY_FILES.signingNext);
  const pair = nacl.sign.keyPair();
  try {
    await writeKeyFile(
      'signingSecret',
      file,
      pair.secretKey,
      0o600,
      'next audit signing key: used from the next start',
    );
  } catch (err) {
    if (err instanceof AuditError && err.code === 'AUDIT_KEY_EXISTS') {
      throw new AuditError(
        'AUDIT_KEY_EXISTS',
        `a key rotation is already pending (${file}); start the server to complete it`,
      );
    }
    throw err;
  } finally {
    pair.secretKey.fill(0);
  }
  return { file, publicKey: pair.publicKey, fingerprint: signingKeyFingerprint(pair.publicKey) };
}

/**
 * After the audit log has written the rotating close: the next key becomes
 * audit-signing.key (atomic rename) and audit-signing.pub follows. A crash in between is
 * safe: the log sees its last close already names the pending key and does not rotate twice.
 * `keysDir` is the folder of the instance's signing key (as for requestSigningKeyRotation).
 */
export async function commitSigningKeyRotation(
  keysDir: string,
): Promise<{ publicKey: Uint8Array; fingerprint: string }> {
  const next = join(keysDir, AUDIT_KEY_FILES.signingNext);
  const secret = await readKeyFile('signingSecret', next);
  const publicKey = Uint8Array.from(secret.subarray(32));
  secret.fill(0);
  await rename(next, join(keysDir, AUDIT_KEY_FILES.signing));
  await syncDirectory(keysDir);
  await storeSigningPublicKey(join(keysDir, AUDIT_KEY_FILES.signingPublic), publicKey);
  return { publicKey, fingerprint: signingKeyFingerprint(publicKey) };
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
