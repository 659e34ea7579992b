import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromB64 } from '../../protocol/index.js';
import { AuditError, isErrno } from '../errors.js';
import { type ReplaceFileHooks, replaceFileAtomic, syncDir } from '../files/replace-file.js';

/**
 * The auditor's own record of each chain (`bank-audit verify --state`, `bank-audit witness
 * --state`): the signers it trusts and the newest signed head it has seen. It lives with the
 * auditor, not in the data dir, so whoever can write the data dir cannot take a head back.
 *
 * ```json
 * { "format": "secure-atm-audit-state/1",
 *   "chains": { "main": { "signers": ["<b64>", ...],
 *                         "head": { "segment", "seq", "hash", "signature", "signer", "at" } } } }
 * ```
 * `signers` is the pinned key first, then every signed rotation since, in order. `head` is a
 * signed checkpoint or close: a later verify must reach exactly that line (same segment, seq
 * and chain hash) or the chain was rolled back.
 */
export const STATE_FORMAT = 'secure-atm-audit-state/1';

export interface StateHead {
  segment: string;
  seq: number;
  hash: string;
  signature: string;
  signer: string;
  at: string;
}

export interface ChainState {
  signers: string[];
  head: StateHead | null;
}

export interface AuditState {
  format: typeof STATE_FORMAT;
  chains: Record<string, ChainState>;
}

const MAX_STATE_BYTES = 1 << 20;

export function emptyState(): AuditState {
  return { format: STATE_FORMAT, chains: {} };
}

/** Read a state file; a missing one is an empty state (the first run pins with --signer). */
export async function readAuditState(file: string): Promise<AuditState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      // A new state is fine; one that could never be saved is a mistake to name now, not after verifying.
      const folder = await stat(dirname(file)).catch(() => null);
      if (!folder?.isDirectory())
        throw new AuditError('AUDIT_USAGE', `state file folder does not exist: ${dirname(file)}`);
      return emptyState();
    }
    throw new AuditError('AUDIT_USAGE', `cannot read state file ${file}: ${(err as Error).message}`);
  }
  if (text.length > MAX_STATE_BYTES) throw new AuditError('AUDIT_USAGE', `state file ${file} is too large`);
  return parseAuditState(text, file);
}

export function parseAuditState(text: string, where: string): AuditState {
  const bad = (why: string) => new AuditError('AUDIT_USAGE', `${where} is not a bank-audit state file: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const obj = value as { format?: unknown; chains?: unknown };
  if (typeof obj !== 'object' || obj === null || obj.format !== STATE_FORMAT)
    throw bad(`format is not ${STATE_FORMAT}`);
  if (typeof obj.chains !== 'object' || obj.chains === null || Array.isArray(obj.chains)) throw bad('no chains');
  const chains: Record<string, ChainState> = {};
  for (const [instance, raw] of Object.entries(obj.chains as Record<string, unknown>)) {
    const chain = raw as { signers?: unknown; head?: unknown };
    if (!Array.isArray(chain?.signers) || !chain.signers.every((k) => typeof k === 'string' && fromB64(k, 32))) {
      throw bad(`chain ${instance}: signers must be base64 Ed25519 public keys`);
    }
    const head = chain.head ?? null;
    if (head !== null && !isHead(head)) throw bad(`chain ${instance}: malformed head`);
    chains[instance] = { signers: chain.signers as string[], head };
  }
  return { format: STATE_FORMAT, chains };
}

function isHead(value: unknown): value is StateHead {
  const h = value as Record<string, unknown>;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.segment === 'string' &&
    typeof h.seq === 'number' &&
    Number.isSafeInteger(h.seq) &&
    typeof h.hash === 'string' &&
    fromB64(h.hash, 32) !== null &&
    typeof h.signature === 'string' &&
    typeof h.signer === 'string' &&
    typeof h.at === 'string'
  );
}

/**
 * Replace the state atomically: write a temp file beside it, fsync, rename over the old
 * one, fsync the folder. A crash at any point leaves either the old state or the new one.
 */
export async function writeAuditState(file: string, state: AuditState, hooks: ReplaceFileHooks = {}): Promise<void> {
  await replaceFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`, 0o600, hooks);
  try {
    await syncDir(dirname(file));
  } catch {
    // Not every platform can fsync a directory.
  }
}

/**
 * Whether `next` is the same head as `known` or comes after it in the chain's writing
 * order (segment names sort in writing order; within a segment, by seq). A witness refuses
 * a head that goes back.
 */
export function headGoesBack(known: StateHead, next: StateHead): boolean {
  if (next.segment < known.segment) return true;
  if (next.segment > known.segment) return false;
  return next.seq < known.seq;
}
