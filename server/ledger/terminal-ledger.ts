import type Database from 'better-sqlite3';
import type { LedgerStore } from './ledger-store.js';
import { terminalAccountName } from './schema.js';

/**
 * The terminals table and each terminal's cash account: enrolment, revocation, loads, unloads
 * and counts. A terminal's cash position is the negative of its account's balance (like the vault
 * before terminals existed); the schema keeps that balance at or below 0, so a position is never
 * negative. Every function here runs on the caller's store: the operator CLI's own connection or
 * the writer's.
 */

export type TerminalStatus = 'active' | 'revoked';

export interface TerminalRecord {
  id: string;
  accountId: number;
  status: TerminalStatus;
  fingerprint: string;
  enrolledAt: string;
  revokedAt: string | null;
  /** Cash in the machine by the ledger: loads + deposits + reversals − withdrawals − unloads. */
  cashCents: number;
}

/** The terminal a session's certificate named, as the mutation rules need it. */
export interface SessionTerminal {
  id: string;
  fingerprint: string;
}

export type CashMoveOutcome =
  | { ok: true; cashCents: number; txSeq: number }
  | { ok: false; code: 'UNKNOWN_TERMINAL' | 'TERMINAL_REVOKED' | 'INSUFFICIENT_CASH' | 'INVALID_AMOUNT' };

/** @internal A terminal joined with its cash account, as both backends select it. */
export interface TerminalRow {
  id: string;
  account_id: number;
  status: TerminalStatus;
  fingerprint: string;
  enrolled_at: string;
  revoked_at: string | null;
  balance_cents: number;
}

/** @internal The select behind {@link TerminalRow}, for both backends. */
export const SELECT_TERMINALS = `SELECT t.id, t.account_id, t.status, t.fingerprint, t.enrolled_at, t.revoked_at, a.balance_cents
  FROM terminals t JOIN accounts a ON a.id = t.account_id`;

const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  const select = SELECT_TERMINALS;
  return {
    byId: db.prepare<[string], TerminalRow>(`${select} WHERE t.id = ?`),
    all: db.prepare<[], TerminalRow>(`${select} ORDER BY t.id`),
    accountByName: db.prepare<[string], number>(`SELECT id FROM accounts WHERE username = ?`).pluck(),
    insertAccount: db
      .prepare<[string, string], number>(
        `INSERT INTO accounts (username, kind, password_hash, locked, created_at) VALUES (?, 'terminal', '!', 1, ?)
         RETURNING id`,
      )
      .pluck(),
    upsert: db.prepare<[string, number, string, string]>(
      `INSERT INTO terminals (id, account_id, status, fingerprint, enrolled_at) VALUES (?, ?, 'active', ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = 'active', fingerprint = excluded.fingerprint,
         enrolled_at = excluded.enrolled_at, revoked_at = NULL`,
    ),
    revoke: db.prepare<[string, string]>(
      `UPDATE terminals SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`,
    ),
    insertCount: db.prepare<[string, number, number, number]>(
      'INSERT INTO terminal_counts (terminal_id, counted_cents, position_cents, created_ms) VALUES (?, ?, ?, ?)',
    ),
  };
}

function stmts(store: LedgerStore) {
  let s = statements.get(store.database);
  if (!s) {
    s = prepare(store.database);
    statements.set(store.database, s);
  }
  return s;
}

/** @internal A row as a record; the cash held is the account's negated balance (0, not -0, when empty). */
export function toTerminalRecord(row: TerminalRow): TerminalRecord {
  return terminalRecordOf(row, row.balance_cents);
}

/** @internal A terminals row and its cash account's balance (the writer's row cache holds them apart) as a record. */
export function terminalRecordOf(row: Omit<TerminalRow, 'balance_cents'>, balanceCents: number): TerminalRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    status: row.status,
    fingerprint: row.fingerprint,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
    cashCents: 0 - balanceCents,
  };
}

export function findTerminal(store: LedgerStore, id: string): TerminalRecord | null {
  const row = stmts(store).byId.get(id);
  return row ? toTerminalRecord(row) : null;
}

export function listTerminals(store: LedgerStore): TerminalRecord[] {
  return stmts(store).all.all().map(toTerminalRecord);
}

/**
 * Record `fingerprint` as the only certificate of terminal `id` (new, re-enrolled or revoked
 * before): any earlier certificate of it is refused from now on. Its cash account is kept.
 */
export function enrollTerminal(
  store: LedgerStore,
  input: { id: string; fingerprint: string; nowIso: string },
): { reenrolled: boolean } {
  return store.atomic(() => {
    const s = stmts(store);
    const before = s.byId.get(input.id);
    const name = terminalAccountName(input.id);
    const accountId = before?.account_id ?? s.accountByName.get(name) ?? s.insertAccount.get(name, input.nowIso);
    if (accountId === undefined) throw new Error(`could not create the cash account of terminal ${input.id}`);
    s.upsert.run(input.id, accountId, input.fingerprint, input.nowIso);
    return { reenrolled: before !== undefined };
  });
}

/** False when no active terminal has that id. */
export function revokeTerminal(store: LedgerStore, id: string, nowIso: string): boolean {
  return stmts(store).revoke.run(nowIso, id).changes > 0;
}

/** A session may move cash only while its certificate is still the one on record for an active terminal. */
export function terminalServes(store: LedgerStore, terminal: SessionTerminal): TerminalRecord | null {
  const cached = store.cachedTerminal(terminal.id);
  const record = cached === undefined ? findTerminal(store, terminal.id) : cached;
  return record?.status === 'active' && record.fingerprint === terminal.fingerprint ? record : null;
}

/**
 * Put cash into a machine (`load`: ~vault → terminal) or take it out (`unload`: terminal →
 * ~vault), as one balanced transaction. An unload larger than the position is refused.
 */
export function moveTerminalCash(
  store: LedgerStore,
  input: { id: string; kind: 'load' | 'unload'; amountCents: number; nowMs: number },
): CashMoveOutcome {
  const { amountCents, kind } = input;
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) return { ok: false, code: 'INVALID_AMOUNT' };
  return store.atomic((): CashMoveOutcome => {
    const terminal = findTerminal(store, input.id);
    if (!terminal) return { ok: false, code: 'UNKNOWN_TERMINAL' };
    if (kind === 'load' && terminal.status !== 'active') return { ok: false, code: 'TERMINAL_REVOKED' };
    if (kind === 'unload' && terminal.cashCents < amountCents) return { ok: false, code: 'INSUFFICIENT_CASH' };
    if (kind === 'load' && !Number.isSafeInteger(terminal.cashCents + amountCents)) {
      return { ok: false, code: 'INVALID_AMOUNT' };
    }
    const delta = kind === 'load' ? -amountCents : amountCents;
    const seq = store.insertTransaction(
      kind,
      terminal.accountId,
      store.vaultId,
      amountCents,
      null,
      input.nowMs,
      input.id,
    );
    const after = store.post(seq, terminal.accountId, kind, delta, store.vaultId, input.nowMs);
    store.post(seq, store.vaultId, kind, -delta, terminal.accountId, input.nowMs);
    return { ok: true, cashCents: -after, txSeq: seq };
  });
}

/** The cash an operator counted in the machine, kept with the ledger's position at that moment (the report compares them). */
export function recordTerminalCount(
  store: LedgerStore,
  input: { id: string; countedCents: number; nowMs: number },
): { ok: true; cashCents: number } | { ok: false; code: 'UNKNOWN_TERMINAL' | 'INVALID_AMOUNT' } {
  if (!Number.isSafeInteger(input.countedCents) || input.countedCents < 0) return { ok: false, code: 'INVALID_AMOUNT' };
  return store.atomic(() => {
    const terminal = findTerminal(store, input.id);
    if (!terminal) return { ok: false as const, code: 'UNKNOWN_TERMINAL' as const };
    stmts(store).insertCount.run(input.id, input.countedCents, terminal.cashCents, input.nowMs);
    return { ok: true as const, cashCents: terminal.cashCents };
  });
}
