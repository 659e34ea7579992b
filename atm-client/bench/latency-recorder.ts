/** Latency samples in a preallocated, growing Float64Array (ms); percentiles by sorting once. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private size = 0;

  record(ms: number): void {
    if (this.size === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank percentiles, p in 0..100. */
  percentiles(ps: readonly number[]): number[] {
    if (this.size === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, this.size).sort();
    return ps.map(
      (p) => sorted[Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size - 1e-9) - 1))] as number,
    );
  }
}
