/** The time an audit event is recorded at, as the ISO 8601 text both logs hold. */
export class EventClock {
  /** The last event time as text, and its ms: events of the same millisecond share one toISOString. */
  #ms = Number.NaN;
  #text = '';

  constructor(private readonly now: () => Date) {}

  /** now() as ISO 8601 text; throws as toISOString does for a clock that gives an invalid date. */
  timestamp(): string {
    const now = this.now();
    const ms = now.getTime();
    if (ms !== this.#ms) {
      this.#text = now.toISOString();
      this.#ms = ms;
    }
    return this.#text;
  }
}
