/** The writer's row cache: account and terminal rows the money path would otherwise read again every batch. */
import type Database from 'better-sqlite3';
import { ACCOUNT_COLUMNS, type AccountRow, withBalance } from './ledger-records.js';
import { type TerminalRecord, type TerminalRow, terminalRecordOf } from './terminal-ledger.js';

type Db = Database.Database;

/** A terminals row without its cash: the cash is its account's balance, read from the account cache. */
type TerminalMeta = Omit<TerminalRow, 'balance_cents'>;

/** What SQLite returned from a balance update (ledger-statements.ts adjustBalance*). */
export interface BalanceWrite {
  balance_cents: number;
  withdrawn_day: string | null;
  withdrawn_cents: number;
}

/** What tells a batch that rows may have changed since the last one. */
interface Stamp {
  /** Moves when another connection commits (PRAGMA data_version). */
  dataVersion: number;
  /** Rows this connection changed since it opened: any write of ours outside a batch. */
  totalChanges: number;
}

/** Rows kept at most (about 1 KiB each); past it the longest unwritten goes. */
const MAX_CACHED_ACCOUNTS = 20_000;

const spreadBalance = (row: AccountRow, write: BalanceWrite): AccountRow => ({ ...row, ...write });

/** Called by the temp triggers below, once per changed row. */
const EVICT_FN = 'ledger_row_cache_evict';

/**
 * Every change to an accounts or terminals row on this connection, by any statement (the rules,
 * the lockout, the CLI's functions run on the writer, one added next year), reaches the cache
 * from SQLite itself: no list of write paths to keep up to date. An account whose id and name
 * stay is evicted alone (the balance updates); anything else (inserts, deletes, renames, any
 * terminals change: all rare) drops that whole map, which also covers a row a REPLACE removed.
 * TEMP: on this connection only, nothing in the file's schema.
 */
const TRIGGERS = [
  `CREATE TEMP TRIGGER IF NOT EXISTS ledger_row_cache_account_update AFTER UPDATE ON main.accounts
     BEGIN SELECT ${EVICT_FN}(CASE WHEN NEW.id IS OLD.id AND NEW.username IS OLD.username THEN OLD.id ELSE -1 END); END`,
  `CREATE TEMP TRIGGER IF NOT EXISTS ledger_row_cache_account_insert AFTER INSERT ON main.accounts
     BEGIN SELECT ${EVICT_FN}(-1); END`,
  `CREATE TEMP TRIGGER IF NOT EXISTS ledger_row_cache_account_delete AFTER DELETE ON main.accounts
     BEGIN SELECT ${EVICT_FN}(-1); END`,
  ...['INSERT', 'UPDATE', 'DELETE'].map(
    (event) =>
      `CREATE TEMP TRIGGER IF NOT EXISTS ledger_row_cache_terminal_${event.toLowerCase()} AFTER ${event} ON main.terminals
         BEGIN SELECT ${EVICT_FN}(-2); END`,
  ),
];

/**
 * Account rows (by id and by customer name) and terminal rows as the writer's own connection
 * last read or wrote them, so a batch's money ops stop re-reading rows earlier batches wrote.
 * Measured with tests/bench/ledger-batch.bench.ts (34 per commit, the bench mix) on the 2-core
 * VM shared with other work (one run scatters by ±10 µs, more under load): `LEDGER_TRACE=1 …
 * 34 300 1` goes from 10.06 to 8.21 statements per mutation, without `SELECT * FROM accounts
 * WHERE id = ?` (1.0 call, 7.5 µs per mutation as traced), the terminal join (0.71 calls, 3.5 µs)
 * and the transfer target by name (0.29 calls, 2.1 µs); the two balance UPDATEs cost 3 µs more
 * per mutation (9.3 → 12.3: the eviction trigger's call into JS, the wider RETURNING), the batch
 * checks 0.5 µs. With and without, alternating in one process (`LEDGER_ROW_CACHE=ab … 34 300
 * 10`): CPU per mutation min 66.9 µs, median 71.2 µs with it; 72.1 and 77.4 µs without.
 * Separate runs (`34 300 5`, twice each, alternating with the tree before it) stayed inside the
 * noise: min 74.3 and 67.7 µs before, 69.5 and 76.7 µs after.
 *
 * A row is served only if nothing can have changed it since; each way it could is closed here:
 * - other connections (the operator CLI, the main thread's readers at start): their commits move
 *   `data_version`, read by {@link beginBatch} after BEGIN IMMEDIATE, so nothing commits between
 *   the check and the batch's reads; DDL from anywhere (the schema cookie) turns the cache off;
 * - this connection between batches (the main thread's writes when the writer runs in-thread,
 *   sharing the connection): `total_changes()` differs from the value at the last batch end;
 * - this connection inside a batch: the temp triggers evict each changed row ({@link TRIGGERS}),
 *   and a job that is not a cached money op drops everything after it ({@link jobEnded});
 * - rollbacks (the writer's rerun with savepoints, a job's savepoint, a failed batch, a throwing
 *   store.atomic) drop everything: a rolled-back write may have been written through.
 * Rows are read only inside a validated batch; outside one every read goes to SQLite.
 */
export class WriterRowCache {
  readonly #byId = new Map<number, AccountRow>();
  readonly #byName = new Map<string, AccountRow>();
  readonly #terminals = new Map<string, TerminalMeta>();
  readonly #sql;
  /** Bumped by every eviction: a write-through whose statement evicted more than its own row puts nothing back. */
  #generation = 0;
  #lastEvicted = 0;
  /** The row a balance update started from ({@link beforeWrite}), and the generation then. */
  #writing: AccountRow | undefined;
  #writingGeneration = 0;
  /** Inside a batch whose start found nothing changed elsewhere. */
  #active = false;
  /** The current job was a cached money op (it said so), so its end keeps the cache. */
  #keep = false;
  /** The schema cookie when the cache began; any other value turns it off ({@link #turnOff}). */
  readonly #schema: number;
  #off = false;
  /** The counters the last committed batch left ({@link endBatch}); null: unknown. */
  #stamp: Stamp | null = null;
  /** The counters at the open batch's start. */
  #started: Stamp | null = null;
  /** How a balance write makes the row's next version: {@link withBalance} when the columns are the known ones. */
  readonly #withBalance: (row: AccountRow, write: BalanceWrite) => AccountRow;

  constructor(
    db: Db,
    accountById: Database.Statement<[number], AccountRow>,
    customerByName: Database.Statement<[string], AccountRow>,
  ) {
    db.function(EVICT_FN, { deterministic: false, varargs: false }, (id: unknown) => {
      this.#evict(Number(id));
      return null;
    });
    for (const sql of TRIGGERS) db.exec(sql);
    this.#sql = {
      accountById,
      customerByName,
      terminalById: db.prepare<[string], TerminalMeta>(
        'SELECT id, account_id, status, fingerprint, enrolled_at, revoked_at FROM terminals WHERE id = ?',
      ),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      schemaVersion: db.prepare<[], number>('PRAGMA schema_version').pluck(),
      totalChanges: db.prepare<[], number>('SELECT total_changes()').pluck(),
    };
    this.#schema = this.#sql.schemaVersion.get() as number;
    // Prepared afresh: a statement prepared before an ALTER TABLE still lists the old columns.
    const columns = db
      .prepare('SELECT * FROM accounts WHERE id = ?')
      .columns()
      .map((c) => c.name);
    const known = columns.length === ACCOUNT_COLUMNS.length && columns.every((c, k) => c === ACCOUNT_COLUMNS[k]);
    this.#withBalance = known ? withBalance : spreadBalance;
  }

  /** Serving rows now (inside a validated batch). */
  get active(): boolean {
    return this.#active;
  }

  /** The writer's transaction began (BEGIN IMMEDIATE done): drop everything if anything changed since the last batch. */
  beginBatch(): void {
    if (this.#off) return;
    const sql = this.#sql;
    let now: Stamp;
    try {
      if (sql.schemaVersion.get() !== this.#schema) {
        this.#turnOff();
        return;
      }
      now = { dataVersion: sql.dataVersion.get() as number, totalChanges: sql.totalChanges.get() as number };
    } catch {
      // Never fail a batch over the cache: this one just reads everything from SQLite.
      this.abortBatch();
      return;
    }
    const last = this.#stamp;
    if (last?.dataVersion !== now.dataVersion || last.totalChanges !== now.totalChanges) this.drop();
    this.#started = now;
    this.#active = true;
  }

  /**
   * The batch committed. The baseline for the next one: data_version as read at this batch's
   * start (no other connection can commit while the batch holds the write lock, and one that
   * commits after our COMMIT moves it past that value) and this connection's total_changes() now.
   */
  endBatch(): void {
    this.#active = false;
    const started = this.#started;
    this.#started = null;
    this.#stamp = null;
    if (!started) return;
    try {
      if (this.#sql.schemaVersion.get() !== this.#schema) {
        this.#turnOff();
        return;
      }
      this.#stamp = { dataVersion: started.dataVersion, totalChanges: this.#sql.totalChanges.get() as number };
    } catch {
      // Unknown baseline: the next batch starts empty. (Throwing here would fail a committed batch.)
      this.drop();
    }
  }

  /**
   * The schema changed under the writer (DDL from any connection; migrations run before it
   * starts, so not in normal operation): rows of the old shape, and triggers perhaps gone with a
   * rebuilt table. The cache stays off for the life of this connection.
   */
  #turnOff(): void {
    this.#off = true;
    this.abortBatch();
  }

  /** Any rollback, or any doubt: forget every row (and the baseline, so the next batch starts empty too). */
  drop(): void {
    this.#byId.clear();
    this.#byName.clear();
    this.#terminals.clear();
    this.#generation++;
    this.#lastEvicted = -1;
  }

  /** The batch ended without a commit: nothing is known, the next batch starts empty. */
  abortBatch(): void {
    this.drop();
    this.#active = false;
    this.#started = null;
    this.#stamp = null;
  }

  jobStarted(): void {
    this.#keep = false;
  }

  /** A cached money op (apply-mutation.ts) is running: its only account writes are the write-through ones. */
  keepForThisJob(): void {
    this.#keep = true;
  }

  /** Unknown job ⇒ drop: whatever it wrote cannot be served stale to the next job. */
  jobEnded(): void {
    if (!this.#keep) this.drop();
    this.#keep = false;
  }

  account(id: number): AccountRow | undefined {
    const cached = this.#byId.get(id);
    if (cached) return cached;
    const row = this.#sql.accountById.get(id);
    if (row) this.#put(row);
    return row;
  }

  customer(user: string): AccountRow | undefined {
    const cached = this.#byName.get(user);
    if (cached) return cached;
    const row = this.#sql.customerByName.get(user);
    if (row) this.#put(row);
    return row;
  }

  /** The terminal with its cash taken from its account's row (so never older than that row). */
  terminal(id: string): TerminalRecord | null {
    let meta = this.#terminals.get(id);
    if (!meta) {
      meta = this.#sql.terminalById.get(id);
      if (!meta) return null;
      if (this.#terminals.size >= MAX_CACHED_ACCOUNTS) this.#terminals.clear();
      this.#terminals.set(id, meta);
    }
    const account = this.account(meta.account_id);
    // Built from the two rows, not from a spread of them into a TerminalRow first (measured with withBalance:
    // 6.7 µs per mutation together, ledger-minimum.bench.ts's real path, 20 alternating pairs in one process).
    return account ? terminalRecordOf(meta, account.balance_cents) : null;
  }

  /** A balance update of account `id` is about to run: note the row it starts from. */
  beforeWrite(id: number): void {
    this.#writing = this.#active ? this.#byId.get(id) : undefined;
    this.#writingGeneration = this.#generation;
  }

  /**
   * The update ran (`result`, its RETURNING): put the account back as SQLite now holds it,
   * provided its trigger evicted exactly that row and nothing else was evicted meanwhile.
   */
  afterWrite(id: number, result: BalanceWrite | undefined): void {
    const before = this.#writing;
    this.#writing = undefined;
    if (before && result && this.#generation === this.#writingGeneration + 1 && this.#lastEvicted === id) {
      this.#put(this.#withBalance(before, result));
    }
  }

  #put(row: AccountRow): void {
    if (this.#byId.size >= MAX_CACHED_ACCOUNTS && !this.#byId.has(row.id)) {
      // The longest unwritten goes (a Map iterates in insertion order, and a write re-inserts).
      const oldest = this.#byId.keys().next();
      if (!oldest.done) this.#forget(oldest.value);
    }
    // Shared with every caller: frozen, so no caller can change what the next one is served.
    Object.freeze(row);
    this.#byId.set(row.id, row);
    if (row.kind === 'customer') this.#byName.set(row.username, row);
  }

  #forget(id: number): void {
    const row = this.#byId.get(id);
    this.#byId.delete(id);
    if (row && this.#byName.get(row.username) === row) this.#byName.delete(row.username);
  }

  /** id > 0: that account changed in place; -1: accounts inserted, deleted or renamed; -2: a terminals change. */
  #evict(id: number): void {
    this.#generation++;
    this.#lastEvicted = id;
    if (id === -2) {
      this.#terminals.clear();
      return;
    }
    if (id < 0) {
      this.#byId.clear();
      this.#byName.clear();
      return;
    }
    this.#forget(id);
  }
}
