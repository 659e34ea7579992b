/**
 * The ledger on PostgreSQL 15+ (pg driver, pooled): the same tables, rules and invariants as the
 * SQLite ledger behind {@link LedgerBackend}, with versioned migrations under an advisory lock.
 * @packageDocumentation
 */

/** Schema version and the migration entry point (also run by `open`). */
export { migratePostgres, PG_SCHEMA_VERSION } from './pg-schema.js';
/** `ledger verify` as SQL. */
export { verifyPostgres, verifyPostgresUrl } from './pg-verify.js';
/** The backend: open, mutate in one round trip, read, verify. */
export { PostgresLedger, type PostgresLedgerOptions } from './postgres-ledger.js';
