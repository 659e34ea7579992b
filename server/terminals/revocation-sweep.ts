import type { TerminalLookup } from './terminal-gate.js';

/** One open session at a terminal, as the sweep sees it. */
export interface TerminalSessionHandle {
  readonly terminalIdentity: { id: string; fingerprint: string } | null;
  endForTerminal(reason: string): void;
}

/** Once a second, so a revoked terminal's sessions end within 2 s of the revocation (protocol/README.md §1.1). */
export const REVOCATION_SWEEP_MS = 1_000;

/**
 * Ends every open session whose terminal was revoked, or re-enrolled with another certificate,
 * since it opened. Revocation is a row in the ledger (written by the operator CLI, possibly from
 * another process), so the sweep reads it rather than waiting for a signal; cash is refused by the
 * writer at once either way, this closes the session itself.
 */
export function startRevocationSweep(input: {
  sessions: () => Iterable<TerminalSessionHandle>;
  lookup: TerminalLookup;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}): { sweep(): void; stop(): void } {
  const sweep = () => {
    const seen = new Map<string, ReturnType<TerminalLookup>>();
    for (const session of input.sessions()) {
      const identity = session.terminalIdentity;
      if (!identity) continue;
      if (!seen.has(identity.id)) seen.set(identity.id, input.lookup(identity.id));
      const record = seen.get(identity.id) ?? null;
      if (!record) session.endForTerminal('this terminal is no longer enrolled');
      else if (record.status !== 'active') session.endForTerminal('this terminal was revoked');
      else if (record.fingerprint !== identity.fingerprint) session.endForTerminal('this terminal was re-enrolled');
    }
  };
  const timer = setInterval(() => {
    try {
      sweep();
    } catch (err) {
      input.onError?.(err);
    }
  }, input.intervalMs ?? REVOCATION_SWEEP_MS);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
