/** The fraud velocity rule's memory: recent debit times per account, read from the ledger on first use. */

/** The velocity window keeps at most this many debit times per account (the rule's count is far smaller). */
const MAX_TRACKED_DEBITS = 1_000;

/**
 * Recent debit times per account, oldest first. The velocity rule asks on every debit, so the
 * times live in memory; an account's first question this process reads its newest debits from
 * the ledger (`readNewest`, newest first), so a restart does not reset the window.
 */
export class DebitWindow {
  readonly #times = new Map<number, number[]>();
  readonly #readNewest: (accountId: number, cap: number) => number[];
  /**
   * While a writer transaction is open, the accounts whose times changed since it began, in
   * order, so a rollback forgets them (positive id: a time appended; negative: first read inside
   * the transaction, so possibly holding its uncommitted debits).
   */
  #journal: number[] | null = null;

  constructor(readNewest: (accountId: number, cap: number) => number[]) {
    this.#readNewest = readNewest;
  }

  /** How many debits were applied at or after `sinceMs`, counting at most `cap`. */
  countSince(accountId: number, sinceMs: number, cap: number): number {
    if (cap <= 0) return 0;
    let times = this.#times.get(accountId);
    if (!times) {
      times = this.#readNewest(accountId, cap).reverse();
      this.#times.set(accountId, times);
      this.#journal?.push(-accountId);
    }
    let stale = 0;
    while (stale < times.length && (times[stale] as number) < sinceMs) stale++;
    if (stale > 0) times.splice(0, stale);
    return Math.min(times.length, cap);
  }

  /**
   * A debit was written. Only accounts already asked about are tracked; the others are read from
   * the ledger when first asked. Outside a writer transaction ({@link begin}) a debit rolled back
   * after this leaves one extra time: more alerts, never fewer.
   */
  recorded(accountId: number, atMs: number): void {
    const times = this.#times.get(accountId);
    if (!times) return;
    times.push(atMs);
    this.#journal?.push(accountId);
    if (times.length > MAX_TRACKED_DEBITS) times.splice(0, times.length - MAX_TRACKED_DEBITS);
  }

  /** A writer transaction began: from here on {@link rollBackTo} can undo what it records. */
  begin(): void {
    this.#journal = [];
  }

  /** Where the open transaction's changes stand now (0 when none is open), for {@link rollBackTo}. */
  mark(): number {
    return this.#journal?.length ?? 0;
  }

  /**
   * The transaction (or a savepoint from `mark` on) rolled back: forget the times of every account
   * it touched, so the next question reads them again from what the ledger now holds.
   */
  rollBackTo(mark: number): void {
    const journal = this.#journal;
    if (!journal) return;
    while (journal.length > mark) this.#times.delete(Math.abs(journal.pop() as number));
  }

  /** The transaction ended (committed, or rolled back after {@link rollBackTo}(0)). */
  end(): void {
    this.#journal = null;
  }
}
