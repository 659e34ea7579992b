import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataDirPaths } from '../data-dir.js';
import { enrollTerminal, type LedgerStore } from '../ledger/index.js';
import { ensureTerminalCa, issueTerminalCertificate, loadTerminalCa, writeFileAtomic } from '../tls/index.js';

export interface EnrolledTerminal {
  id: string;
  certPath: string;
  /** Null when the certificate was issued for the ATM's own CSR (its key stays on the ATM). */
  keyPath: string | null;
  fingerprint: string;
  validTo: string;
  /** True when the terminal was enrolled before: its earlier certificate is refused from now on. */
  reenrolled: boolean;
}

/** Default certificate lifetime for a terminal. */
export const DEFAULT_TERMINAL_DAYS = 365;

/** A terminal's certificate written out, before the ledger knows it. */
export type IssuedTerminal = Omit<EnrolledTerminal, 'reenrolled'>;

/**
 * Issue a certificate for terminal `id` from the data dir's terminal CA, write `<id>.crt` (and
 * `<id>.key`, 0600, unless a CSR was given) to `outDir`, then record its fingerprint in the ledger.
 * The files are written first: a crash in between leaves a certificate the ledger does not know,
 * which the server refuses, never an enrolment whose certificate was lost.
 */
export async function enrollTerminalFiles(input: {
  paths: Pick<DataDirPaths, 'tlsDir' | 'terminalCaCert' | 'terminalCaKey' | 'terminalsDir'>;
  store: LedgerStore;
  id: string;
  outDir?: string;
  days?: number;
  csrPem?: string;
  now: Date;
}): Promise<EnrolledTerminal> {
  const issued = await issueTerminalFiles(input);
  const { reenrolled } = enrollTerminal(input.store, {
    id: input.id,
    fingerprint: issued.fingerprint,
    nowIso: input.now.toISOString(),
  });
  return { ...issued, reenrolled };
}

/**
 * The file half of {@link enrollTerminalFiles}: the certificate (and key) issued and written,
 * for a caller that records the fingerprint in a ledger of its own choosing afterwards.
 */
export async function issueTerminalFiles(input: {
  paths: Pick<DataDirPaths, 'tlsDir' | 'terminalCaCert' | 'terminalCaKey' | 'terminalsDir'>;
  id: string;
  outDir?: string;
  days?: number;
  csrPem?: string;
  now: Date;
}): Promise<IssuedTerminal> {
  // A data dir no server of this version has started yet gets its terminal CA here.
  await ensureTerminalCa(input.paths);
  const ca = await loadTerminalCa(input.paths);
  const issued = await issueTerminalCertificate(ca, {
    id: input.id,
    days: input.days ?? DEFAULT_TERMINAL_DAYS,
    now: input.now,
    ...(input.csrPem === undefined ? {} : { csrPem: input.csrPem }),
  });
  const outDir = input.outDir ?? input.paths.terminalsDir;
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const certPath = join(outDir, `${input.id}.crt`);
  let keyPath: string | null = null;
  if (issued.key !== null) {
    keyPath = join(outDir, `${input.id}.key`);
    await writeFileAtomic(keyPath, issued.key, 0o600);
  }
  await writeFileAtomic(certPath, issued.cert, 0o600);
  return { id: input.id, certPath, keyPath, fingerprint: issued.fingerprint, validTo: issued.validTo };
}
