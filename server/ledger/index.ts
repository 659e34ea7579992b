/**
 * The durable ledger: a SQLite store (WAL, synchronous=FULL, double entry with a system vault),
 * one serialised writer with group commit, the money rules, and the verifier behind
 * `bank-server ledger verify`.
 *
 * Typical use by a request handler:
 * ```ts
 * const store = openLedger(paths.ledgerDb, { requestHashKey });
 * const writer = new LedgerWriter(store, { onBatch });
 * const outcome = await writer.submit((s) => applyMutation(s, { accountId, user, nowMs: Date.now(), config }, request, prepared));
 * ```
 * @packageDocumentation
 */

/** Fraud types the ledger config and outcomes carry (defined in server/fraud). */
export type { FraudAlert, FraudConfig } from '../fraud/index.js';
/** The money rules, run inside a writer job, and the idempotency check on its own. */
export {
  applyMutation,
  checkReplay,
  type MutatingOp,
  type MutatingRequest,
  type MutationContext,
  type MutationOutcome,
  type PreparedChange,
  type RefusalDetails,
} from './apply-mutation.js';
/** The audit outbox: mutations' audit events in the mutation's transaction, drained into the logs. */
export { type AuditedOutcome, type OutboxEnvelope, type OutboxRow, withOutbox } from './audit-outbox.js';
export { AuditOutboxDrain } from './audit-outbox-drain.js';
/** The rules' settings and their defaults (DESIGN.md option defaults). */
export { DEFAULT_LEDGER_CONFIG, type LedgerConfig, MAX_BALANCE_CENTS } from './ledger-config.js';
export type { AccountRole } from './ledger-store.js';
/** The store: accounts, balances, history, applied ids, alerts, verify. */
export {
  type AccountRecord,
  type AccountSummary,
  type FraudAlertRecord,
  type LedgerOptions,
  LedgerStore,
  MIN_APPLIED_RETENTION_MS,
  openLedger,
} from './ledger-store.js';
/** Invariant checks on an open store's database or on a file (read-only). */
export { type VerifyReport, verifyLedgerFile } from './ledger-verify.js';
/**
 * The same writer on a worker thread with its own connection: `mutate` resolves after the
 * worker's COMMIT, so the caller's own store sees the change from then on.
 */
export { LedgerWorkerClient, type LedgerWorkerOptions, type MutationTarget } from './ledger-worker-client.js';
/** The serialised group-commit writer. */
export { LedgerWriter, type LedgerWriterOptions } from './ledger-writer.js';
/** Lockout by user name (§2.1) as writer jobs, and the read-only lock checks. */
export {
  applyLoginJob,
  failuresOf,
  forgetLoginFailures,
  type LoginJob,
  type LoginJobOutcome,
  lockPeriodMs,
  nameLocked,
  pruneLoginFailures,
} from './login-lockout.js';
/** Request fingerprints for idempotency (HMAC with a key, else SHA-256 without secrets). */
export { requestHash } from './request-hash.js';
/** Schema version and the reserved user names of the vault and of closed accounts. */
export { closedUserName, SCHEMA_VERSION, terminalAccountName, VAULT_USER } from './schema.js';
/** Roles, the teller's open_account job and the cash totals by teller (protocol/README.md §5.2). */
export {
  applyOpenAccount,
  type OpenAccountJob,
  type OpenAccountOutcome,
  roleOf,
  setRole,
  type TellerTotals,
  tellerTotals,
} from './teller-ledger.js';
/** Terminals: enrolment, revocation, cash accounts, loads, unloads and counts. */
export {
  type CashMoveOutcome,
  enrollTerminal,
  findTerminal,
  listTerminals,
  moveTerminalCash,
  recordTerminalCount,
  revokeTerminal,
  type SessionTerminal,
  type TerminalRecord,
  type TerminalStatus,
  terminalServes,
} from './terminal-ledger.js';
/** Transaction ids on the wire: `T` + 12 digits. */
export { formatTxId, parseTxId, utcDay } from './tx-id.js';
export { applyUpkeepJob, type UpkeepJob, type UpkeepOutcome } from './upkeep-jobs.js';
