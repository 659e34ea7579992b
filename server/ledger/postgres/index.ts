/**
 * The ledger on PostgreSQL 15+ (pg driver, pooled): the same tables, rules and invariants as the
 * SQLite ledger behind {@link LedgerBackend}, with versioned migrations under an advisory lock.
 * @packageDocumentation
 */

/** The advisory lock that keeps an instance id unique across machines on one ledger. */
export { acquireInstanceLock, type InstanceLock, type InstanceLockOptions } from './pg-instance-lock.js';
/** Per-name lockout counters shared by every instance. */
export { type LoginFailureOutcome, PostgresLogins } from './pg-logins.js';
/** The session's terminal as the cash rules take it. */
export type { SessionTerminal } from './pg-mutate.js';
/** Schema version and the migration entry point (also run by `open`). */
export { migratePostgres, PG_SCHEMA_VERSION } from './pg-schema.js';
/** Terminals, their cash accounts, loads, unloads and counts. */
export {
  type PgCashMoveOutcome,
  type PgTerminalRecord,
  PostgresTerminals,
  terminalAccountName,
} from './pg-terminals.js';
export type { PostgresLedgerOptions } from './pg-types.js';
/** `ledger verify` as SQL. */
export { verifyPostgres, verifyPostgresUrl } from './pg-verify.js';
/** The backend: open, mutate in one round trip, read, verify. */
export { PostgresLedger } from './postgres-ledger.js';
