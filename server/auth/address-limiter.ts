import type { AuthPolicy } from './types.js';

/** The failed-login window: "per minute". */
export const FAILED_LOGIN_WINDOW_MS = 60_000;

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

  constructor(
    policy: Pick<AuthPolicy, 'maxFailedLoginsPerMinute' | 'maxConnectionsPerAddress'>,
    clock: () => number = Date.now,
  ) {
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

function countSince(times: number[], cutoff: number): number {
  let count = 0;
  for (const t of times) if (t > cutoff) count++;
  return count;
}

function assertLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}
