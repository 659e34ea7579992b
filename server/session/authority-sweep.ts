/**
 * Session authority (protocol/README.md §5.1): a session ends within 2 s when an operator locks or
 * closes its account or its password is changed elsewhere, and no session outlives the maximum
 * session length however active it is. The operator's CLI is another process that writes the
 * ledger (and queues the action), so the server learns of it by reading: this sweep reads each
 * open session's account every `intervalMs` and ends the sessions that lost their authority.
 *
 * Between a change and the sweep, requests are refused by the per-request checks (the writer
 * re-checks the account in the transaction that applies a mutation; reads check it too).
 */

/** One open session as the sweep sees it. */
export interface SweptSession {
  readonly session: {
    accountId: number;
    passwordHash: string;
    pendingPasswordHash: string | undefined;
    openedAt: number;
    /** The role the session opened with: an operator's role change ends it (§5.2). */
    role?: 'customer' | 'teller';
  } | null;
  expire(reason: string): Promise<void>;
  /** A teller session: the customer served, whose authority is checked the same way (§5.2). */
  readonly served?: { accountId: number; passwordHash: string; openedAt: number } | null;
  /** The served customer lost their authority: stop serving them (the teller's session goes on). */
  stopServing?(reason: string): void;
}

type SweptAccount = {
  status: 'active' | 'closed';
  locked: boolean;
  passwordHash: string;
  role?: 'customer' | 'teller';
};

export interface AuthoritySweepOptions {
  sessions: () => Iterable<SweptSession>;
  store: {
    /** Now (SQLite) or later (PostgreSQL): the sweep reads every session's account, then judges them together. */
    getAccount(id: number): SweptAccount | null | Promise<SweptAccount | null>;
  };
  clock: () => number;
  /** Longest a session lives (ms). */
  maxSessionMs: number;
  /** How often to look; well under the 2 s the protocol allows. */
  intervalMs?: number;
  /** Told about a sweep that failed (a store error); the next sweep tries again. */
  onError?: (err: unknown) => void;
}

/** Half a second: a lock is seen within 0.5 s plus a sweep's own time, well inside 2 s. */
export const DEFAULT_SWEEP_INTERVAL_MS = 500;

/** Why a session must end now, or null while it keeps its authority. */
export function expiryReason(
  session: NonNullable<SweptSession['session']>,
  account: SweptAccount | null,
  nowMs: number,
  maxSessionMs: number,
): string | null {
  if (account?.status !== 'active') return 'the account was closed';
  if (account.locked) return 'the account was locked by the bank';
  if (account.passwordHash !== session.passwordHash && account.passwordHash !== session.pendingPasswordHash) {
    return 'the password was changed';
  }
  if (session.role !== undefined && (account.role ?? 'customer') !== session.role)
    return 'the account role was changed';
  if (nowMs - session.openedAt >= maxSessionMs) return 'the maximum session length was reached';
  return null;
}

/** Check every open session once; returns how many were told to end. */
export async function sweepSessions(options: AuthoritySweepOptions): Promise<number> {
  // What each session was when the sweep began: one that opens while the accounts are read is
  // judged by the next sweep, never against an account this one did not read.
  const seen = [...options.sessions()].map((connection) => ({
    connection,
    session: connection.session,
    served: connection.served ?? null,
  }));
  const ids = new Set<number>();
  for (const { session, served } of seen) {
    if (session) ids.add(session.accountId);
    if (session && served) ids.add(served.accountId);
  }
  const accounts = new Map<number, SweptAccount | null>();
  await Promise.all(
    [...ids].map(async (id) => {
      accounts.set(id, await options.store.getAccount(id));
    }),
  );
  const now = options.clock();
  let ended = 0;
  for (const { connection, session: before, served } of seen) {
    const session = connection.session;
    if (!before || !session) continue;
    const account = accounts.get(session.accountId) ?? null;
    // The account was read between the two looks: a change the session made itself (its own
    // password) may have committed on either side of that read, so the session keeps its
    // authority if it holds under either look.
    const reason = expiryReason(session, account, now, options.maxSessionMs);
    if (reason === null || expiryReason(before, account, now, options.maxSessionMs) === null) {
      if (!served) continue;
      // The customer at the counter is checked like their own session; the teller's length rules.
      const lost = expiryReason(
        { ...served, pendingPasswordHash: undefined },
        accounts.get(served.accountId) ?? null,
        now,
        Number.POSITIVE_INFINITY,
      );
      if (lost !== null) connection.stopServing?.(lost);
      continue;
    }
    ended++;
    void connection.expire(reason);
  }
  return ended;
}

/** Run {@link sweepSessions} on a timer (never two at once); returns the function that stops it. */
export function startAuthoritySweep(options: AuthoritySweepOptions): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepSessions(options)
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
