/**
 * Terminal sessions: which certificate makes a connection a terminal session (the gate), and the
 * sweep that ends a revoked terminal's sessions.
 * @packageDocumentation
 */

/** End the sessions of revoked or re-enrolled terminals within 2 s. */
export { REVOCATION_SWEEP_MS, startRevocationSweep, type TerminalSessionHandle } from './revocation-sweep.js';
/** Decide remote / terminal / refused from the TLS client certificate; check hello.terminal against it. */
export { identifyTerminal, type TerminalLookup, type TerminalVerdict } from './terminal-gate.js';
