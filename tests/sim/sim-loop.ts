import type { Clock } from '../../atm-client/client/clock.js';

/**
 * Simulated time and the event queue. Time is integer microseconds since the start of the run;
 * events run in (time, insertion) order, one per step. After each event the loop lets Node run
 * what the event started (promise chains, the ledger writer's setImmediate batch) to completion,
 * so the next event sees a settled world. Nothing here reads a real clock.
 */

export interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void | Promise<void>;
  cancelled: boolean;
}

export const US_PER_MS = 1000;

export class SimLoop {
  nowUs = 0;
  steps = 0;
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  /** Run `run` after `delayUs` microseconds (rounded down, at least 0). */
  after(delayUs: number, label: string, run: () => void | Promise<void>): SimEvent {
    const event: SimEvent = {
      at: this.nowUs + Math.max(0, Math.floor(delayUs)),
      seq: this.seq++,
      label,
      run,
      cancelled: false,
    };
    this.push(event);
    return event;
  }

  cancel(event: SimEvent | null | undefined): void {
    if (event) event.cancelled = true;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms * US_PER_MS, 'sleep', resolve));
  }

  /** The Clock the client library's timers run on. */
  readonly clientClock: Clock = {
    setTimeout: (callback, ms) => this.after(ms * US_PER_MS, 'client-timer', callback),
    clearTimeout: (handle) => this.cancel(handle as SimEvent | null),
  };

  get pending(): number {
    return this.heap.length;
  }

  /** Run the next live event; false when none is left. */
  async step(onEvent: (event: SimEvent) => void): Promise<boolean> {
    for (;;) {
      const event = this.pop();
      if (!event) return false;
      if (event.cancelled) continue;
      this.nowUs = event.at;
      this.steps++;
      onEvent(event);
      await event.run();
      await settle();
      return true;
    }
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as SimEvent, heap[parent] as SimEvent)) break;
      [heap[i], heap[parent]] = [heap[parent] as SimEvent, heap[i] as SimEvent];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as SimEvent, heap[m] as SimEvent)) m = l;
        if (r < heap.length && before(heap[r] as SimEvent, heap[m] as SimEvent)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as SimEvent, heap[i] as SimEvent];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** One macrotask turn: every microtask and setImmediate queued before it has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
