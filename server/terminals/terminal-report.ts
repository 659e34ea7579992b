import type { LedgerStore } from '../ledger/index.js';
import { listTerminals, tellerTotals } from '../ledger/index.js';

/** A count and a sum of cents. */
export interface Totals {
  count: number;
  cents: number;
}

export interface TerminalDayReport {
  id: string;
  deposits: Totals;
  withdrawals: Totals;
  reversals: Totals;
  loads: Totals;
  unloads: Totals;
  openingCashCents: number;
  closingCashCents: number;
  /** The day's last count by an operator, or null when nobody counted this machine that day. */
  countedCashCents: number | null;
  /** Counted minus the ledger's position when it was counted; null without a count. */
  differenceCents: number | null;
  /** True when counted and equal and the position matches its entries; null without a count. */
  reconciled: boolean | null;
  /** False when the account's balance is not the sum of its entries (a damaged ledger). */
  positionMatchesEntries: boolean;
}

export interface DayReport {
  day: string;
  terminals: TerminalDayReport[];
  /** Deposits and withdrawals made at the counter that day, per teller (protocol/README.md §5.2). */
  byTeller: Array<{ teller: string; deposits: Totals; withdrawals: Totals }>;
  /** The whole bank's day: the terminals' figures added up. */
  bank: Omit<TerminalDayReport, 'id' | 'reconciled' | 'positionMatchesEntries'>;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const KINDS = {
  deposit: 'deposits',
  withdrawal: 'withdrawals',
  reversal: 'reversals',
  load: 'loads',
  unload: 'unloads',
} as const;

/** Start of a UTC day `YYYY-MM-DD` in ms, or null when it is not a real date. */
export function dayStartMs(day: string): number | null {
  if (!DAY_PATTERN.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? null : ms;
}

const zero = (): Totals => ({ count: 0, cents: 0 });

/** One terminal's raw figures for a day, as a ledger backend reads them (amounts in cents). */
export interface TerminalDayRows {
  id: string;
  /** The position now. */
  cashCents: number;
  /** The position from its entries before the day began and before it ended. */
  openingCashCents: number;
  closingCashCents: number;
  /** The sum of all its cash account's entries (its balance, if the ledger is sound). */
  entrySumCents: number;
  moves: Array<{ kind: keyof typeof KINDS; count: number; cents: number }>;
  /** The day's last count and the position the ledger had then. */
  lastCount: { countedCents: number; positionCents: number } | null;
}

/** Everything a day's report is made of, read in one snapshot (SQLite here, PostgreSQL in pg-terminal-report.ts). */
export interface DayReportRows {
  terminals: TerminalDayRows[];
  byTeller: DayReport['byTeller'];
}

/** The report from its raw figures: the same arithmetic whatever ledger they came from. */
export function assembleDayReport(day: string, rows: DayReportRows): DayReport {
  const terminals = rows.terminals.map((t): TerminalDayReport => {
    const row: TerminalDayReport = {
      id: t.id,
      deposits: zero(),
      withdrawals: zero(),
      reversals: zero(),
      loads: zero(),
      unloads: zero(),
      openingCashCents: t.openingCashCents,
      closingCashCents: t.closingCashCents,
      countedCashCents: null,
      differenceCents: null,
      reconciled: null,
      positionMatchesEntries: -t.entrySumCents === t.cashCents,
    };
    for (const m of t.moves) row[KINDS[m.kind]] = { count: m.count, cents: m.cents };
    if (t.lastCount) {
      row.countedCashCents = t.lastCount.countedCents;
      row.differenceCents = t.lastCount.countedCents - t.lastCount.positionCents;
      row.reconciled = row.differenceCents === 0 && row.positionMatchesEntries;
    }
    return row;
  });
  return { day, terminals, byTeller: rows.byTeller, bank: bankTotals(terminals) };
}

/** Start and end (exclusive) of UTC day `day` in ms; RangeError when it is not a day. */
export function dayBounds(day: string): { start: number; end: number } {
  const start = dayStartMs(day);
  if (start === null) throw new RangeError(`not a day: ${day}`);
  return { start, end: start + DAY_MS };
}

/**
 * End-of-day totals per terminal and for the bank on UTC day `day` of a SQLite ledger, read in
 * one snapshot: what moved at each machine, its cash at the start and end of the day, and the
 * day's last count against the position the ledger had when it was taken.
 */
export function buildDayReport(store: LedgerStore, day: string): DayReport {
  const { start, end } = dayBounds(day);
  const db = store.database;
  const read = db.transaction((): DayReportRows => {
    const moves = db.prepare<[number, number, number], { kind: keyof typeof KINDS; count: number; cents: number }>(
      // From the cash account's entries (one per movement at the machine, of the movement's kind),
      // along the index the positions below use; the ledger keeps no index of transactions by terminal.
      `SELECT kind, COUNT(*) AS count, SUM(ABS(amount_cents)) AS cents FROM entries
       WHERE account_id = ? AND created_ms >= ? AND created_ms < ? GROUP BY kind`,
    );
    const positionBefore = db
      .prepare<[number, number], number>(
        'SELECT -COALESCE(SUM(amount_cents), 0) FROM entries WHERE account_id = ? AND created_ms < ?',
      )
      .pluck();
    const entrySum = db
      .prepare<[number], number>('SELECT COALESCE(SUM(amount_cents), 0) FROM entries WHERE account_id = ?')
      .pluck();
    const lastCount = db.prepare<[string, number, number], { counted_cents: number; position_cents: number }>(
      `SELECT counted_cents, position_cents FROM terminal_counts
       WHERE terminal_id = ? AND created_ms >= ? AND created_ms < ? ORDER BY id DESC LIMIT 1`,
    );
    const terminals = listTerminals(store).map((t): TerminalDayRows => {
      const count = lastCount.get(t.id, start, end);
      return {
        id: t.id,
        cashCents: t.cashCents,
        openingCashCents: positionBefore.get(t.accountId, start) ?? 0,
        closingCashCents: positionBefore.get(t.accountId, end) ?? 0,
        entrySumCents: entrySum.get(t.accountId) ?? 0,
        moves: moves.all(t.accountId, start, end),
        lastCount: count ? { countedCents: count.counted_cents, positionCents: count.position_cents } : null,
      };
    });
    return { terminals, byTeller: tellerTotals(store, start, end) };
  });
  return assembleDayReport(day, read.deferred());
}

function bankTotals(terminals: readonly TerminalDayReport[]): DayReport['bank'] {
  const sum = (pick: (t: TerminalDayReport) => Totals): Totals =>
    terminals.reduce((acc, t) => ({ count: acc.count + pick(t).count, cents: acc.cents + pick(t).cents }), zero());
  const counted = terminals.filter((t) => t.countedCashCents !== null);
  return {
    deposits: sum((t) => t.deposits),
    withdrawals: sum((t) => t.withdrawals),
    reversals: sum((t) => t.reversals),
    loads: sum((t) => t.loads),
    unloads: sum((t) => t.unloads),
    openingCashCents: terminals.reduce((a, t) => a + t.openingCashCents, 0),
    closingCashCents: terminals.reduce((a, t) => a + t.closingCashCents, 0),
    countedCashCents: counted.length === 0 ? null : counted.reduce((a, t) => a + (t.countedCashCents ?? 0), 0),
    differenceCents: counted.length === 0 ? null : counted.reduce((a, t) => a + (t.differenceCents ?? 0), 0),
  };
}

/** The terminals whose count differs from the position, or whose position does not match its entries. */
export function unreconciled(report: DayReport): TerminalDayReport[] {
  return report.terminals.filter((t) => t.reconciled === false || !t.positionMatchesEntries);
}
