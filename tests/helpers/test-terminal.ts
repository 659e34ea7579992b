import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirPaths } from '../../server/data-dir.js';
import { moveTerminalCash, openLedger } from '../../server/ledger/index.js';
import { enrollTerminalFiles } from '../../server/terminals/enroll-terminal.js';
import { issueTerminalCertificate } from '../../server/tls/index.js';
import { createDevCa } from '../../server/tls/issue-certificates.js';

export interface TestTerminal {
  id: string;
  /** PEM contents, ready for ConnectOptions.terminalCert / terminalKey or tls.connect. */
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
  fingerprint: string;
}

/**
 * Enrol terminal `id` in a (test) bank's data dir the way `bank-server terminals enroll` does, and
 * load `cashCents` into it (default 1,000,000.00, so tests are not limited by cash unless they
 * ask). `now`/`days` make certificates that are expired or not yet valid.
 */
export async function enrolTestTerminal(
  dataDir: string,
  id: string,
  options: { cashCents?: number; now?: Date; days?: number; outDir?: string } = {},
): Promise<TestTerminal> {
  const paths = dataDirPaths(dataDir);
  const store = openLedger(paths.ledgerDb);
  try {
    const enrolled = await enrollTerminalFiles({
      paths,
      store,
      id,
      now: options.now ?? new Date(),
      days: options.days ?? 30,
      outDir: options.outDir ?? join(paths.terminalsDir),
    });
    const cash = options.cashCents ?? 100_000_000;
    if (cash > 0) moveTerminalCash(store, { id, kind: 'load', amountCents: cash, nowMs: Date.now() });
    const keyPath = enrolled.keyPath as string;
    return {
      id,
      cert: readFileSync(enrolled.certPath, 'utf8'),
      key: readFileSync(keyPath, 'utf8'),
      certPath: enrolled.certPath,
      keyPath,
      fingerprint: enrolled.fingerprint,
    };
  } finally {
    store.close();
  }
}

/** Connection options for a client library connector at this terminal. */
export function terminalOptions(terminal: TestTerminal): { terminalCert: string; terminalKey: string } {
  return { terminalCert: terminal.cert, terminalKey: terminal.key };
}

/** A terminal certificate and key from a throwaway CA no bank knows (client-side tests, "another CA" attacks). */
export async function throwawayTerminalCertificate(
  id: string,
  options: { now?: Date; days?: number } = {},
): Promise<{ cert: string; key: string }> {
  const ca = await createDevCa(new Date());
  const issued = await issueTerminalCertificate(ca, { id, days: options.days ?? 30, now: options.now ?? new Date() });
  return { cert: issued.cert, key: issued.key as string };
}
