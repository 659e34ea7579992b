import { stat } from 'node:fs/promises';
import { fromB64, toB64 } from '../../protocol/index.js';
import { AuditError } from '../errors.js';
import { parseKeyFile, readIfExists } from '../keys/key-files.js';
import { CliError } from './cli-io.js';

/** The instance a bare `--signer <key>` pins. */
export const DEFAULT_INSTANCE = 'main';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * `--signer [<instance>=]<file|base64>`, repeatable, into instance → base64 public key. A
 * file may be keys/audit-signing.pub (or the secret keys/audit-signing.key, whose public half
 * is taken); anything else must be the base64 Ed25519 public key. Every mistake is AUDIT_USAGE
 * or a key error (exit 3).
 */
export async function parseSignerArgs(values: string[]): Promise<Map<string, string>> {
  const pinned = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf('=');
    // base64 ends in '=' padding: only a prefix that is a plausible instance id splits.
    const prefix = eq > 0 ? value.slice(0, eq) : '';
    const split = INSTANCE_ID.test(prefix) && !fromB64(value.trim(), 32) && !(await isFile(value));
    const instance = split ? prefix : DEFAULT_INSTANCE;
    const key = await signerKey(split ? value.slice(eq + 1) : value);
    const before = pinned.get(instance);
    if (before && before !== key) {
      throw new CliError('AUDIT_USAGE', `--signer given twice for instance ${instance} with different keys`, 3);
    }
    pinned.set(instance, key);
  }
  return pinned;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function signerKey(value: string): Promise<string> {
  if (await isFile(value)) {
    const text = (await readIfExists(value)) ?? '';
    try {
      return toB64(parseKeyFile('signingPublic', text, value));
    } catch (err) {
      if (!(err instanceof AuditError && err.code === 'AUDIT_KEY_WRONG_TYPE')) throw err;
      // The secret signing key: accepted (its public half is what is pinned), other types are not.
      const secret = parseKeyFile('signingSecret', text, value);
      const key = toB64(secret.subarray(32));
      secret.fill(0);
      return key;
    }
  }
  const key = fromB64(value.trim(), 32);
  if (!key) {
    throw new CliError(
      'AUDIT_USAGE',
      `--signer: ${value} is neither a key file (keys/audit-signing.pub) nor a base64 Ed25519 public key`,
      3,
    );
  }
  return toB64(key);
}
