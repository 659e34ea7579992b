import type pg from 'pg';
import { ProtocolError } from '../../../protocol/index.js';
import { terminalAccountName } from '../schema.js';
import {
  type CashMoveOutcome,
  SELECT_TERMINALS,
  type TerminalRecord,
  type TerminalRow,
  toTerminalRecord as toRecord,
} from '../terminal-ledger.js';
import { databaseNowMs } from './pg-clock.js';

/** The same shapes as the SQLite ledger's terminals: one record and one outcome for both backends. */
export type PgTerminalRecord = TerminalRecord;
export type PgCashMoveOutcome = CashMoveOutcome;

/** The cash account's user name: outside the customer name space, like ~vault. */
export { terminalAccountName };

const SELECT = SELECT_TERMINALS;

/**
 * Terminals and their cash accounts on PostgreSQL: enrolment, revocation, loads, unloads, counts.
 * Locks follow the mutation function's order (terminal's cash account, then ~vault), so operator
 * cash moves and customer cash movements at the same machine never deadlock.
 */
export class PostgresTerminals {
  readonly #pool: pg.Pool;
  readonly #clock: (() => number) | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;

  /** `onError`: what made a call reject with INTERNAL, for the log (the caller sees only the code). */
  constructor(pool: pg.Pool, clock?: () => number, onError?: (error: unknown) => void) {
    this.#pool = pool;
    this.#clock = clock;
    this.#onError = onError;
  }

  /** The test clock, else the database's (not this instance's). */
  #nowMs(client: pg.PoolClient | pg.Pool = this.#pool): Promise<number> {
    return databaseNowMs(client, this.#clock);
  }

  async #tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof ProtocolError) throw error;
      this.#onError?.(error);
      throw new ProtocolError('INTERNAL');
    } finally {
      client.release();
    }
  }

  async find(id: string): Promise<PgTerminalRecord | null> {
    const { rows } = await this.#pool.query<TerminalRow>(`${SELECT} WHERE t.id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<PgTerminalRecord[]> {
    const { rows } = await this.#pool.query<TerminalRow>(`${SELECT} ORDER BY t.id COLLATE "C"`);
    return rows.map(toRecord);
  }

  /** Record `fingerprint` as the only certificate of terminal `id`; its cash account is kept. */
  enroll(input: { id: string; fingerprint: string }): Promise<{ reenrolled: boolean }> {
    return this.#tx(async (client) => {
      const nowIso = new Date(await this.#nowMs(client)).toISOString();
      const name = terminalAccountName(input.id);
      await client.query(
        `INSERT INTO accounts (username, kind, password_hash, locked, created_at) VALUES ($1, 'terminal', '!', true, $2)
         ON CONFLICT (username) DO NOTHING`,
        [name, nowIso],
      );
      const { rows } = await client.query<{ id: number }>('SELECT id FROM accounts WHERE username = $1', [name]);
      const { rows: upserted } = await client.query<{ reenrolled: boolean }>(
        `INSERT INTO terminals AS t (id, account_id, status, fingerprint, enrolled_at) VALUES ($1, $2, 'active', $3, $4)
         ON CONFLICT (id) DO UPDATE SET status = 'active', fingerprint = excluded.fingerprint,
           enrolled_at = excluded.enrolled_at, revoked_at = NULL
         RETURNING (xmax <> 0) AS reenrolled`,
        [input.id, rows[0]?.id, input.fingerprint, nowIso],
      );
      return { reenrolled: upserted[0]?.reenrolled === true };
    });
  }

  /** False when no active terminal has that id. Cash stops at once: the mutation reads the row under a lock. */
  async revoke(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE terminals SET status = 'revoked', revoked_at = $2 WHERE id = $1 AND status = 'active'`,
      [id, new Date(await this.#nowMs()).toISOString()],
    );
    return (rowCount ?? 0) > 0;
  }

  /** `load`: ~vault → the machine; `unload`: back. An unload larger than the position is refused. */
  moveCash(input: { id: string; kind: 'load' | 'unload'; amountCents: number }): Promise<PgCashMoveOutcome> {
    const { amountCents, kind } = input;
    if (!Number.isSafeInteger(amountCents) || amountCents <= 0)
      return Promise.resolve({ ok: false, code: 'INVALID_AMOUNT' });
    return this.#tx(async (client): Promise<PgCashMoveOutcome> => {
      const nowMs = await this.#nowMs(client);
      const { rows } = await client.query<TerminalRow>(
        `${SELECT} WHERE t.id = $1 FOR SHARE OF t FOR NO KEY UPDATE OF a`,
        [input.id],
      );
      const row = rows[0];
      if (!row) return { ok: false, code: 'UNKNOWN_TERMINAL' };
      const cash = 0 - row.balance_cents;
      if (kind === 'load' && row.status !== 'active') return { ok: false, code: 'TERMINAL_REVOKED' };
      if (kind === 'unload' && cash < amountCents) return { ok: false, code: 'INSUFFICIENT_CASH' };
      if (kind === 'load' && !Number.isSafeInteger(cash + amountCents)) return { ok: false, code: 'INVALID_AMOUNT' };
      const delta = kind === 'load' ? -amountCents : amountCents;
      const after = (
        await client.query<{ b: number }>(
          'UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1 RETURNING balance_cents AS b',
          [row.account_id, delta],
        )
      ).rows[0]?.b as number;
      const vault = (
        await client.query<{ id: number; b: number }>(
          `UPDATE accounts SET balance_cents = balance_cents - $1 WHERE kind = 'vault' RETURNING id, balance_cents AS b`,
          [delta],
        )
      ).rows[0] as { id: number; b: number };
      const seq = (
        await client.query<{ seq: number }>(
          `INSERT INTO transactions (kind, account_id, counterparty_id, amount_cents, created_ms, terminal)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
          [kind, row.account_id, vault.id, amountCents, nowMs, input.id],
        )
      ).rows[0]?.seq as number;
      await client.query(
        `INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $8), ($1, $6, $3, -$4::bigint, $7, $2, $8)`,
        [seq, row.account_id, kind, delta, after, vault.id, vault.b, nowMs],
      );
      return { ok: true, cashCents: 0 - after, txSeq: seq };
    });
  }

  /** The cash an operator counted in the machine, kept with the ledger's position at that moment. */
  count(input: {
    id: string;
    countedCents: number;
  }): Promise<{ ok: true; cashCents: number } | { ok: false; code: 'UNKNOWN_TERMINAL' | 'INVALID_AMOUNT' }> {
    if (!Number.isSafeInteger(input.countedCents) || input.countedCents < 0) {
      return Promise.resolve({ ok: false, code: 'INVALID_AMOUNT' });
    }
    return this.#tx(async (client) => {
      const nowMs = await this.#nowMs(client);
      const { rows } = await client.query<TerminalRow>(`${SELECT} WHERE t.id = $1 FOR SHARE OF a`, [input.id]);
      const row = rows[0];
      if (!row) return { ok: false as const, code: 'UNKNOWN_TERMINAL' as const };
      await client.query(
        'INSERT INTO terminal_counts (terminal_id, counted_cents, position_cents, created_ms) VALUES ($1, $2, $3, $4)',
        [input.id, input.countedCents, 0 - row.balance_cents, nowMs],
      );
      return { ok: true as const, cashCents: 0 - row.balance_cents };
    });
  }
}
