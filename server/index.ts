/**
 * The bank server: TLS listener, sessions, ledger, auth, admin HTTP and operator CLI.
 * @packageDocumentation
 */

/** Start a fully wired bank (data dir, keys, ledger, auth, audit, listeners) from a config. */
export { type RunningBank, type StartBankOptions, startBank } from './app.js';
/** The TLS listener and its stats. */
export { BankServer, type BankServerStats } from './bank-server.js';
/** The `bank-server` program, for in-process tests. */
export { buildBankServerProgram, main as bankServerMain } from './cli/program.js';
/** Options and their defaults. */
export { CURRENCY, DEFAULT_SERVER_CONFIG, type ServerConfig } from './config.js';
/** Data-dir layout. */
export { type DataDirPaths, dataDirPaths, resolveDataDir } from './data-dir.js';
/** The ledger store, for operators' tools and tests. */
export { type LedgerStore, openLedger, verifyLedgerFile } from './ledger/index.js';
/** Logger factory (pino JSON lines; pretty in a TTY). */
export { createLogger } from './logger.js';
