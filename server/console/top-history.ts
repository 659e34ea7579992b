import { type Tick, tickBetween } from './figures-math.js';
import type { StatusFigures } from './status-source.js';

/** How far back the sparklines look. */
export const HISTORY_MS = 5 * 60 * 1000;

/** The snapshots the console has seen, turned into one tick per poll, kept for HISTORY_MS. */
export class TopHistory {
  private lastFigures: StatusFigures | null = null;
  private readonly kept: Tick[] = [];

  /** Take a new snapshot; returns the tick it makes with the one before (null for the first). */
  push(figures: StatusFigures): Tick | null {
    const prev = this.lastFigures;
    this.lastFigures = figures;
    if (!prev) return null;
    const tick = tickBetween(prev, figures);
    this.kept.push(tick);
    while (this.kept.length > 0 && (this.kept[0]?.atMs ?? 0) < figures.sampledAtMs - HISTORY_MS) this.kept.shift();
    return tick;
  }

  get latest(): StatusFigures | null {
    return this.lastFigures;
  }

  get lastTick(): Tick | null {
    return this.kept.at(-1) ?? null;
  }

  get ticks(): readonly Tick[] {
    return this.kept;
  }
}
