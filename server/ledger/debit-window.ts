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
    }
    let stale = 0;
    while (stale < times.length && (times[stale] as number) < sinceMs) stale++;
    if (stale > 0) times.splice(0, stale);
    return Math.min(times.length, cap);
  }

  /**
   * A debit was written. Only accounts already asked about are tracked; the others are read from
   * the ledger when first asked. A job rolled back after this leaves one extra time: more alerts,
   * never fewer.
   */
  recorded(accountId: number, atMs: number): void {
    const times = this.#times.get(accountId);
    if (!times) return;
    times.push(atMs);
    if (times.length > MAX_TRACKED_DEBITS) times.splice(0, times.length - MAX_TRACKED_DEBITS);
  }
}
