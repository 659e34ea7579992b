import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataDirPaths } from '../data-dir.js';
import { findTerminal, type LedgerStore, moveTerminalCash } from '../ledger/index.js';
import { type EnrolledTerminal, enrollTerminalFiles } from './enroll-terminal.js';

export const DEMO_TERMINAL = 'ATM-DEMO';
/** 10,000.00 in the demo machine: enough for every screen of the quick start. */
export const DEMO_CASH_CENTS = 1_000_000;

/**
 * The demo (`npm start`) enrols ATM-DEMO with its certificate under <data-dir>/terminals/ and
 * loads demo cash, so `npm run atm` runs a terminal session. Done again only when the terminal or
 * its files are missing; returns what it did, or null.
 */
export async function ensureDemoTerminal(input: {
  paths: DataDirPaths;
  store: LedgerStore;
  now: Date;
}): Promise<{ enrolled: EnrolledTerminal; loadedCents: number } | null> {
  const record = findTerminal(input.store, DEMO_TERMINAL);
  const certPath = join(input.paths.terminalsDir, `${DEMO_TERMINAL}.crt`);
  const keyPath = join(input.paths.terminalsDir, `${DEMO_TERMINAL}.key`);
  if (record?.status === 'active' && existsSync(certPath) && existsSync(keyPath)) return null;
  const enrolled = await enrollTerminalFiles({ ...input, id: DEMO_TERMINAL });
  const current = findTerminal(input.store, DEMO_TERMINAL)?.cashCents ?? 0;
  const loadedCents = Math.max(0, DEMO_CASH_CENTS - current);
  if (loadedCents > 0) {
    moveTerminalCash(input.store, {
      id: DEMO_TERMINAL,
      kind: 'load',
      amountCents: loadedCents,
      nowMs: input.now.getTime(),
    });
  }
  return { enrolled, loadedCents };
}
