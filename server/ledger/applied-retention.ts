/**
 * Applied request ids are kept for at least 24 h (protocol/README.md §5), by the clock that stamps
 * them: the wall clock, which can jump. A forward jump while the server runs would make ids
 * applied seconds before look a day old, and a re-send of one would be applied again. So this
 * run's own ids are pruned only once the monotonic clock, too, says they are old enough; ids from
 * earlier runs carry only their wall-clock stamp (a jump while the server was down is not seen).
 */
export class RunRetention {
  readonly #startWallMs: number;
  readonly #monoMs: () => number;
  readonly #startMonoMs: number;

  /** `startWallMs`: now on the clock that stamps the ids (the ledger's), as this run starts. */
  constructor(startWallMs: number, monoMs: () => number = () => performance.now()) {
    this.#startWallMs = startWallMs;
    this.#monoMs = monoMs;
    this.#startMonoMs = monoMs();
  }

  /**
   * The stamp below which ids may go besides the wall-clock rule: every id of an earlier run, and
   * this run's ids stamped more than `retentionMs` of running time ago (a stamp taken after a
   * forward jump counts that jump as running time not yet passed, so it is kept longer, not less).
   */
  notAfterMs(retentionMs: number): number {
    const ranMs = this.#monoMs() - this.#startMonoMs;
    return this.#startWallMs + Math.max(0, ranMs - retentionMs);
  }
}
