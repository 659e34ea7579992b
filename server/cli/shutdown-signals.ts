/** SIGTERM/SIGINT as a promise; caught (not fatal) from construction until dispose(). */
export class ShutdownSignals {
  private received: NodeJS.Signals | null = null;
  private waiter: ((signal: NodeJS.Signals) => void) | null = null;
  private repeat: ((signal: NodeJS.Signals) => void) | null = null;
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.received !== null) {
      this.repeat?.(signal);
      return;
    }
    this.received = signal;
    this.waiter?.(signal);
  };

  constructor() {
    process.on('SIGTERM', this.handler);
    process.on('SIGINT', this.handler);
  }

  next(): Promise<NodeJS.Signals> {
    if (this.received !== null) return Promise.resolve(this.received);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  onRepeat(fn: (signal: NodeJS.Signals) => void): void {
    this.repeat = fn;
  }

  dispose(): void {
    process.off('SIGTERM', this.handler);
    process.off('SIGINT', this.handler);
  }
}
