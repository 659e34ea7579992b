import type { Database } from 'better-sqlite3';
import { widenTableChecks } from './widen-checks.js';

/** The vault's user name can never be a customer's: USER_PATTERN requires a leading letter. */
export const VAULT_USER = '~vault';

/** Closed accounts are renamed out of the customer name space too, so a name frees up. */
export function closedUserName(accountId: number): string {
  return `~closed-${accountId}`;
}

/** Terminal cash accounts are named out of the customer name space like the vault. */
export function terminalAccountName(terminalId: string): string {
  return `~terminal-${terminalId}`;
}

/** A migration: SQL to run, or a function for the rare change SQL alone cannot make. */
export type Migration = string | ((db: Database) => void);

/**
 * Schema migrations, applied in order; `PRAGMA user_version` holds how many have run. Append
 * only: a released migration never changes, a fix is a new one.
 */
export const MIGRATIONS: readonly Migration[] = [
  // 1: accounts with their running balance, double-entry journal, applied ids, fraud alerts.
  `
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'vault')),
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    locked INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    balance_cents INTEGER NOT NULL DEFAULT 0,
    withdrawn_day TEXT,
    withdrawn_cents INTEGER NOT NULL DEFAULT 0,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_secret_sealed TEXT,
    totp_pending_sealed TEXT,
    totp_last_step INTEGER,
    email_sealed TEXT,
    phone_sealed TEXT,
    created_at TEXT NOT NULL,
    CHECK (kind = 'vault' OR balance_cents >= 0)
  );
  CREATE TABLE transactions (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'transfer', 'reversal')),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    counterparty_id INTEGER REFERENCES accounts (id),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reverses_seq INTEGER REFERENCES transactions (seq),
    created_ms INTEGER NOT NULL
  );
  CREATE INDEX transactions_velocity ON transactions (account_id, kind, created_ms);
  CREATE UNIQUE INDEX transactions_reverses ON transactions (reverses_seq) WHERE reverses_seq IS NOT NULL;
  CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    tx_seq INTEGER NOT NULL REFERENCES transactions (seq),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal')),
    amount_cents INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    counterparty_id INTEGER REFERENCES accounts (id),
    created_ms INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX entries_account_tx ON entries (account_id, tx_seq);
  CREATE TABLE applied_requests (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    request_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, request_id)
  ) WITHOUT ROWID;
  CREATE INDEX applied_requests_created ON applied_requests (created_ms);
  CREATE TABLE fraud_alerts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    username TEXT NOT NULL,
    rule TEXT NOT NULL,
    op TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    detail TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    request_id TEXT,
    created_ms INTEGER NOT NULL
  );
  CREATE INDEX fraud_alerts_account ON fraud_alerts (account_id);
  `,
  // 2: operator actions taken by the CLI (another process) wait here until the running server
  // writes them to its audit log; the server owns the audit segment, so nobody else appends to it.
  `
  CREATE TABLE operator_actions (
    id INTEGER PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    detail TEXT NOT NULL
  );
  `,
  // 3: the fraud velocity window moved to memory (seeded from entries), so this index only cost
  // page writes on every transaction.
  `
  DROP INDEX transactions_velocity;
  `,
  // 4: terminals (enrolled ATMs) and one cash account per terminal (kind 'terminal', balance <= 0:
  // the cash in the machine is its negative) on the other side of each cash movement made there.
  // Loads and unloads move money between a terminal and ~vault. Old entries against ~vault stay as
  // they are. The CHECK constraints are widened in place (every existing row still satisfies them),
  // so no table is rebuilt and columns added by other migrations are kept.
  (db: Database) => {
    widenTableChecks(db, [
      {
        table: 'accounts',
        from: "CHECK (kind IN ('customer', 'vault'))",
        to: "CHECK (kind IN ('customer', 'vault', 'terminal'))",
      },
      {
        table: 'accounts',
        from: "CHECK (kind = 'vault' OR balance_cents >= 0)",
        to: "CHECK (CASE kind WHEN 'vault' THEN 1 WHEN 'terminal' THEN balance_cents <= 0 ELSE balance_cents >= 0 END)",
      },
      {
        table: 'transactions',
        from: "CHECK (kind IN ('deposit', 'withdrawal', 'transfer', 'reversal'))",
        to: "CHECK (kind IN ('deposit', 'withdrawal', 'transfer', 'reversal', 'load', 'unload'))",
      },
      {
        table: 'entries',
        from: "CHECK (kind IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal'))",
        to: "CHECK (kind IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal', 'load', 'unload'))",
      },
    ]);
    db.exec(`
      ALTER TABLE transactions ADD COLUMN terminal TEXT;
      CREATE INDEX transactions_terminal ON transactions (terminal, created_ms) WHERE terminal IS NOT NULL;
      CREATE TABLE terminals (
        id TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        fingerprint TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        revoked_at TEXT
      ) WITHOUT ROWID;
      CREATE TABLE terminal_counts (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL REFERENCES terminals (id),
        counted_cents INTEGER NOT NULL CHECK (counted_cents >= 0),
        position_cents INTEGER NOT NULL,
        created_ms INTEGER NOT NULL
      );
      CREATE INDEX terminal_counts_terminal ON terminal_counts (terminal_id, created_ms);
    `);
  },
  // 5: failed logins per user name, for names that exist and names that do not (protocol/README.md §2.1),
  // so a lock says nothing about whether the name is an account. accounts.locked stays the
  // operator's lock.
  `
  CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER,
    lock_count INTEGER NOT NULL DEFAULT 0,
    last_lock_ms INTEGER,
    updated_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX login_failures_updated ON login_failures (updated_ms);
  `,
  // 6: audit outbox: each mutation's audit events, inserted in the mutation's own transaction and
  // deleted once both audit logs hold them durably (server/ledger/audit-outbox.ts). AUTOINCREMENT
  // on purpose: ids must never be reused after the table empties, because a restart compares
  // them with the newest id audit.log holds.
  `
  CREATE TABLE audit_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL
  );
  `,
  // 7: roles (protocol/README.md §5.2): a teller is an account an operator made; it has no money of its
  // own and serves customers at enrolled terminals. transactions.teller_id names the teller who
  // moved the cash at the counter (null for a customer's own session), for the report by teller.
  `
  ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'teller'));
  ALTER TABLE transactions ADD COLUMN teller_id INTEGER REFERENCES accounts (id);
  CREATE INDEX transactions_teller ON transactions (teller_id, created_ms) WHERE teller_id IS NOT NULL;
  `,
  // 8: the day report counts a terminal's moves from its cash account's entries (every cash
  // movement posts one there, of the transaction's kind; the report already reads them), so this
  // index only cost a page per terminal per commit: 11 of 97.5 WAL pages per 34-mutation commit
  // with 8 terminals (tests/bench/ledger-batch.bench.ts), a random page per movement with many.
  `
  DROP INDEX IF EXISTS transactions_terminal;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring the file up to {@link SCHEMA_VERSION} and make sure the vault exists. Runs under a write
 * lock, so a second process opening the same file at the same moment waits, then sees the work done.
 */
export function migrate(db: Database, nowIso: string): void {
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`ledger schema version ${version} is newer than this program knows (${SCHEMA_VERSION})`);
    }
    for (let next = version; next < SCHEMA_VERSION; next += 1) {
      const migration = MIGRATIONS[next] as Migration;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${next + 1}`);
    }
    db.prepare(
      `INSERT INTO accounts (username, kind, password_hash, created_at)
       SELECT ?, 'vault', '!', ? WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE kind = 'vault')`,
    ).run(VAULT_USER, nowIso);
  });
  run.immediate();
}
