/**
 * Admission control for password checks (protocol/README.md §2.1). bcrypt is slow on purpose, so the
 * server may only take on the checks it can finish before a handshake's 10 s deadline: an attempt
 * is admitted when, behind everything already admitted, its check would still end before its
 * deadline (with a margin), and it is answered SERVER_BUSY + retryAfterMs at once otherwise.
 *
 * The time a check takes is a moving estimate (EWMA of measured checks, seeded from the bcrypt
 * cost), so the queue shrinks by itself when the machine is loaded. Admitted checks wait in FIFO
 * order for one of `workers` slots; a check whose connection closed while it waited is dropped
 * unstarted. Each address may have only a few checks admitted at a time.
 */

/** Returned by {@link AdmissionTicket.run} when the attempt was abandoned before its check started. */
export const ABANDONED: unique symbol = Symbol('abandoned');
/**
 * Returned by {@link AdmissionTicket.run} when, its turn come, the check could no longer end before
 * the deadline (the machine got slower than the estimate said): answered SERVER_BUSY, not run.
 */
export const TOO_LATE: unique symbol = Symbol('too late');
/** A check starts only with this much time to spare after its estimated end (at most 5 % of the budget). */
const START_MARGIN_MS = 250;

export interface LoginAdmissionOptions {
  /** Checks that run at the same time (the hasher's worker threads). */
  workers: number;
  /** First estimate of one check's wall time, ms (replaced by measurements as they come). */
  initialCheckMs: number;
  /**
   * Checks one address may have admitted at once (queued or running). Default: half of what the
   * queue holds for a fresh 10 s handshake, at least {@link MIN_CHECKS_PER_ADDRESS}, so no one
   * address can fill the queue.
   */
  maxPerAddress?: number;
  /** Kept free before the deadline for the ledger write and the welcome. */
  marginMs?: number;
  /** The whole handshake budget (10 s): sizes the default per-address cap. */
  handshakeBudgetMs?: number;
  clock?: () => number;
}

/** The per-address cap never goes below this (a branch behind one NAT has a few ATMs). */
export const MIN_CHECKS_PER_ADDRESS = 4;
/** The handshake budget (protocol/README.md §2: 10 s from accept to welcome). */
const HANDSHAKE_BUDGET_MS = 10_000;
/** Room left before the handshake deadline for what follows the check. */
export const DEFAULT_ADMISSION_MARGIN_MS = 1_500;
/** Weight of the newest measurement in the moving estimate. */
const EWMA_WEIGHT = 0.2;
/** The least a SERVER_BUSY asks a client to wait. */
const MIN_RETRY_AFTER_MS = 250;
/** The most: a client told to wait longer would rather be told to go away. */
const MAX_RETRY_AFTER_MS = 60_000;

/** bcrypt's work doubles per cost step; ~445 ms per check at cost 12 with bcryptjs here. */
export function estimatedCheckMs(cost: number): number {
  return Math.max(1, 445 * 2 ** (cost - 12));
}

interface Waiter {
  start: () => void;
  abandon: () => void;
}

export type Admission =
  | { ok: true; ticket: AdmissionTicket }
  | { ok: false; retryAfterMs: number; reason: 'queue' | 'address' };

export class LoginAdmission {
  readonly #workers: number;
  readonly #maxPerAddress: number | undefined;
  readonly #marginMs: number;
  readonly #clock: () => number;
  readonly #budgetMs: number;
  #checkMs: number;
  /** The last check's wall time: the estimate is the slower of it and the moving average. */
  #lastMs = 0;
  /** Admitted and not yet finished (queued or running). */
  #admitted = 0;
  #running = 0;
  readonly #waiting: Waiter[] = [];
  readonly #perAddress = new Map<string, number>();
  /**
   * When the last client refused SERVER_BUSY was told to come back. Each refusal is given the next
   * free place after it, one check's worth apart, so a storm of refused clients comes back spread
   * at the rate the pool can take them instead of all at once.
   */
  #retryTail = 0;

  constructor(options: LoginAdmissionOptions) {
    this.#workers = Math.max(1, Math.floor(options.workers));
    this.#maxPerAddress = options.maxPerAddress === undefined ? undefined : Math.max(1, options.maxPerAddress);
    this.#marginMs = Math.max(0, options.marginMs ?? DEFAULT_ADMISSION_MARGIN_MS);
    this.#clock = options.clock ?? Date.now;
    this.#budgetMs = options.handshakeBudgetMs ?? HANDSHAKE_BUDGET_MS;
    this.#checkMs = Math.max(1, options.initialCheckMs);
  }

  /** The current estimate of one check's wall time (ms). */
  get checkMs(): number {
    return this.#checkMs;
  }

  /** Checks admitted and not finished. */
  get depth(): number {
    return this.#admitted;
  }

  /** Checks per second the pool can do, by the current estimate. */
  get checksPerSecond(): number {
    return (this.#workers * 1000) / this.#checkMs;
  }

  #perAddressCap(): number {
    if (this.#maxPerAddress !== undefined) return this.#maxPerAddress;
    // Sized with the same pessimistic estimate the queue admits by: sized by the average while
    // checks ran slower than it, half the "capacity" was the whole queue, and one address could
    // fill it (a loaded machine made the other address's login SERVER_BUSY).
    const capacity = this.#workers * Math.floor((this.#budgetMs - this.#marginMs) / this.#estimateMs());
    return Math.max(MIN_CHECKS_PER_ADDRESS, Math.floor(capacity / 2));
  }

  /** The pessimistic estimate of one check: a storm slows checks before the average notices. */
  #estimateMs(): number {
    return Math.max(this.#checkMs, this.#lastMs);
  }

  /** How long until a check admitted now would finish. */
  #finishInMs(): number {
    return Math.ceil((this.#admitted + 1) / this.#workers) * this.#estimateMs();
  }

  /** The wait a SERVER_BUSY answer asks for now: behind everyone refused before, one check apart. */
  busyRetryAfterMs(): number {
    const now = this.#clock();
    const drained = now + Math.max(0, this.#finishInMs() - (this.#budgetMs - this.#marginMs) / 2);
    this.#retryTail = Math.min(
      Math.max(this.#retryTail, drained) + this.#estimateMs() / this.#workers,
      now + MAX_RETRY_AFTER_MS,
    );
    return Math.max(MIN_RETRY_AFTER_MS, Math.round(this.#retryTail - now));
  }

  /** @internal Whether a check starting now would end before `deadlineMs`. */
  canFinishBy(deadlineMs: number): boolean {
    const margin = Math.min(START_MARGIN_MS, this.#budgetMs * 0.05);
    return this.#clock() + this.#estimateMs() + margin <= deadlineMs;
  }

  /**
   * Admit an attempt whose handshake must end by `deadlineMs`, or say how long to wait. Takes no
   * per-address failed-login slot: an attempt answered SERVER_BUSY is no failure.
   */
  tryAdmit(address: string, deadlineMs: number): Admission {
    const now = this.#clock();
    const forAddress = this.#perAddress.get(address) ?? 0;
    if (forAddress >= this.#perAddressCap()) {
      return { ok: false, reason: 'address', retryAfterMs: Math.max(MIN_RETRY_AFTER_MS, Math.round(this.#checkMs)) };
    }
    const finishIn = this.#finishInMs();
    if (now + finishIn > deadlineMs - this.#marginMs) {
      // Come back once what is queued now has mostly drained, behind everyone refused before.
      return { ok: false, reason: 'queue', retryAfterMs: this.busyRetryAfterMs() };
    }
    this.#admitted++;
    this.#perAddress.set(address, forAddress + 1);
    return { ok: true, ticket: new AdmissionTicket(this, address, deadlineMs) };
  }

  /** @internal Wait for a slot unless `signal` aborts first; the ticket then runs its work. */
  acquire(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.#running < this.#workers && this.#waiting.length === 0) {
      this.#running++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#running++;
          resolve(true);
        },
        abandon: () => resolve(false),
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        waiter.abandon();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** @internal A running check ended after `ms`. */
  finishRun(ms: number): void {
    this.#running--;
    if (Number.isFinite(ms) && ms > 0) {
      this.#checkMs = this.#checkMs * (1 - EWMA_WEIGHT) + ms * EWMA_WEIGHT;
      this.#lastMs = ms;
    }
    this.#waiting.shift()?.start();
  }

  /** @internal The ticket is done (ran, abandoned or never used). */
  release(address: string): void {
    this.#admitted = Math.max(0, this.#admitted - 1);
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }
}

/** One admitted attempt's right to one password check. */
export class AdmissionTicket {
  #released = false;

  constructor(
    private readonly admission: LoginAdmission,
    private readonly address: string,
    private readonly deadlineMs: number = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Wait for a slot, run `work`, give the slot back. Resolves {@link ABANDONED} without running
   * `work` if `signal` aborted first, {@link TOO_LATE} if it could no longer end before the
   * deadline. Releases the ticket either way.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T | typeof ABANDONED | typeof TOO_LATE> {
    try {
      if (!(await this.admission.acquire(signal))) return ABANDONED;
      if (!this.admission.canFinishBy(this.deadlineMs)) {
        this.admission.finishRun(Number.NaN);
        return TOO_LATE;
      }
      const started = performance.now();
      try {
        return await work();
      } finally {
        this.admission.finishRun(performance.now() - started);
      }
    } finally {
      this.release();
    }
  }

  /** Give the ticket back without running a check (the attempt was refused first). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.admission.release(this.address);
  }
}
