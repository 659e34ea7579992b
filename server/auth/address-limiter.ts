import type { AuthPolicy } from './types.js';

/** The failed-login window: "per minute". */
export const FAILED_LOGIN_WINDOW_MS = 60_000;

/** The registration window: "per hour". */
export const REGISTRATION_WINDOW_MS = 3_600_000;
/** New accounts per address per hour unless configured (DESIGN.md --max-registrations-per-hour). */
export const DEFAULT_MAX_REGISTRATIONS_PER_HOUR = 5;

/**
 * Tracked addresses beyond which the least recently active one is forgotten. Reaching it needs a
 * flood of distinct addresses within one window; forgetting the quietest is the safe loss.
 */
export const MAX_TRACKED_ADDRESSES = 100_000;

/**
 * Per-address limits on failed logins (sliding 60 s window) and concurrent connections. Pure:
 * time comes from the injected clock and nothing runs on a timer.
 *
 * Memory stays bounded: each address keeps at most `maxFailedLoginsPerMinute` timestamps; the
 * failure map is kept in order of last activity (delete + set), so every call drops expired
 * addresses from its front in amortised O(1), and a hard cap evicts the quietest address; a
 * connection count is deleted when it returns to zero.
 */
export class AddressLimiter {
  private readonly maxFailed: number;
  private readonly maxConnections: number;
  private readonly clock: () => number;
  private readonly failures = new Map<string, number[]>();
  private readonly connections = new Map<string, number>();
  private readonly maxRegistrations: number;
  /** The new-account allowance per address per hour (shared counts use the same). */
  get maxRegistrationsPerHour(): number {
    return this.maxRegistrations;
  }
  /** Registration times per address, in order of last registration. */
  private readonly registrations = new Map<string, number[]>();

  constructor(
    policy: Pick<AuthPolicy, 'maxFailedLoginsPerMinute' | 'maxConnectionsPerAddress'> &
      Partial<Pick<AuthPolicy, 'maxRegistrationsPerHour'>>,
    clock: () => number = Date.now,
  ) {
    this.maxRegistrations = policy.maxRegistrationsPerHour ?? DEFAULT_MAX_REGISTRATIONS_PER_HOUR;
    assertLimit('maxRegistrationsPerHour', this.maxRegistrations);
    assertLimit('maxFailedLoginsPerMinute', policy.maxFailedLoginsPerMinute);
    assertLimit('maxConnectionsPerAddress', policy.maxConnectionsPerAddress);
    this.maxFailed = policy.maxFailedLoginsPerMinute;
    this.maxConnections = policy.maxConnectionsPerAddress;
    this.clock = clock;
  }

  /** Counts a new connection; false (RATE_LIMITED, refuse it) when the address is at its limit. */
  tryOpenConnection(address: string): boolean {
    const open = this.connections.get(address) ?? 0;
    if (open >= this.maxConnections) return false;
    this.connections.set(address, open + 1);
    return true;
  }

  /** Call once per connection that tryOpenConnection accepted, when it closes. */
  releaseConnection(address: string): void {
    const open = this.connections.get(address);
    if (open === undefined) return;
    if (open <= 1) this.connections.delete(address);
    else this.connections.set(address, open - 1);
  }

  /** True when the address had at least the maximum failed logins in the last 60 s. */
  isLoginRateLimited(address: string): boolean {
    const now = this.clock();
    this.forgetExpired(now);
    const times = this.failures.get(address);
    if (!times) return false;
    return countSince(times, now - FAILED_LOGIN_WINDOW_MS) >= this.maxFailed;
  }

  noteFailedLogin(address: string): void {
    const now = this.clock();
    this.forgetExpired(now);
    const times = this.failures.get(address) ?? [];
    this.failures.delete(address);
    times.push(now);
    // Only the newest `maxFailed` stamps can decide "at least max in the window".
    if (times.length > this.maxFailed) times.splice(0, times.length - this.maxFailed);
    this.failures.set(address, times);
    if (this.failures.size > MAX_TRACKED_ADDRESSES) {
      const quietest = this.failures.keys().next();
      if (!quietest.done) this.failures.delete(quietest.value);
    }
  }

  /**
   * Take a failed-login slot when an attempt starts (protocol/README.md §2.1), so parallel attempts
   * cannot exceed the limit. Returns a token for {@link giveBackLoginSlot}, or null when the
   * address is at its limit (RATE_LIMITED).
   */
  tryTakeLoginSlot(address: string): number | null {
    if (this.isLoginRateLimited(address)) return null;
    const now = this.clock();
    this.noteFailedLogin(address);
    return now;
  }

  /** A successful (or abandoned) attempt gives its slot back. */
  giveBackLoginSlot(address: string, token: number): void {
    giveBack(this.failures, address, token);
  }

  /** How long until the address gets a failed-login slot back (for retryAfterMs). */
  loginRetryAfterMs(address: string): number {
    return retryAfter(this.failures.get(address), this.clock(), FAILED_LOGIN_WINDOW_MS);
  }

  /**
   * Take a registration slot for a new account (per address per hour), or null when the address
   * is at its limit. Give it back when no account was made.
   */
  tryTakeRegistrationSlot(address: string): number | null {
    const now = this.clock();
    const times = (this.registrations.get(address) ?? []).filter((t) => t > now - REGISTRATION_WINDOW_MS);
    if (times.length >= this.maxRegistrations) {
      this.registrations.set(address, times);
      return null;
    }
    times.push(now);
    this.registrations.delete(address);
    this.registrations.set(address, times);
    if (this.registrations.size > MAX_TRACKED_ADDRESSES) {
      const quietest = this.registrations.keys().next();
      if (!quietest.done) this.registrations.delete(quietest.value);
    }
    return now;
  }

  giveBackRegistrationSlot(address: string, token: number): void {
    giveBack(this.registrations, address, token);
  }

  registrationRetryAfterMs(address: string): number {
    return retryAfter(this.registrations.get(address), this.clock(), REGISTRATION_WINDOW_MS);
  }

  /** Addresses currently tracked (failed logins or open connections); for metrics and tests. */
  get trackedAddresses(): number {
    return this.failures.size + this.connections.size;
  }

  private forgetExpired(now: number): void {
    const cutoff = now - FAILED_LOGIN_WINDOW_MS;
    for (const [address, times] of this.failures) {
      // Map order is order of last failure, so the first live entry ends the sweep.
      if ((times[times.length - 1] ?? Number.NEGATIVE_INFINITY) > cutoff) return;
      this.failures.delete(address);
    }
  }
}

/** When the oldest stamp still in the window leaves it (at least 1 s). */
function retryAfter(times: number[] | undefined, now: number, windowMs: number): number {
  const live = (times ?? []).filter((t) => t > now - windowMs);
  const oldest = live[0];
  return oldest === undefined ? 1_000 : Math.max(1_000, oldest + windowMs - now);
}

function countSince(times: number[], cutoff: number): number {
  let count = 0;
  for (const t of times) if (t > cutoff) count++;
  return count;
}

function assertLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}

/** Drop one taken slot (its time) from an address's list; an empty list is forgotten. */
function giveBack(slots: Map<string, number[]>, address: string, token: number): void {
  const times = slots.get(address);
  if (!times) return;
  const at = times.lastIndexOf(token);
  if (at >= 0) times.splice(at, 1);
  if (times.length === 0) slots.delete(address);
}
