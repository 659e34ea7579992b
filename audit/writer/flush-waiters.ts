/** A flush() waiting for its last event to be covered by a signed checkpoint. */
interface FlushWaiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The pending flush() calls of one writer: each settles once a checkpoint covers its seq. */
export class FlushWaiters {
  private waiters: FlushWaiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /** A promise that resolves once seq is checkpointed (or rejects if the writer fails first). */
  wait(seq: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
    });
  }

  /** Someone waits for a record at or below `lastSeq`: a checkpoint now would release them. */
  anyAtOrBelow(lastSeq: number): boolean {
    return this.waiters.some((w) => w.seq <= lastSeq);
  }

  /** Resolve every waiter the checkpoint at `checkpointedSeq` covers. */
  settle(checkpointedSeq: number): void {
    if (this.waiters.length === 0) return;
    const pending: FlushWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.seq <= checkpointedSeq) waiter.resolve();
      else pending.push(waiter);
    }
    this.waiters = pending;
  }

  rejectAll(err: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }
}
