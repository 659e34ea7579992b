import type pg from 'pg';

/** What one more failed login did to a name (the logins module's login_failure outcome). */
export interface LoginFailureOutcome {
  locked: boolean;
  justLocked: boolean;
  failures: number;
  lockedUntilMs: number | null;
}

/** Names neither locked nor touched for this long are forgotten. */
const LOGIN_FAILURE_RETENTION_MS = 24 * 3600 * 1000;

const NOW = 'COALESCE($2::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)';

/**
 * Per-name failed-login counters and lock periods in the database, so N instances enforce exactly
 * the lockout one does. Times are the database's clock unless a test clock is given.
 */
export class PostgresLogins {
  readonly #pool: pg.Pool;
  readonly #clock: (() => number) | undefined;

  constructor(pool: pg.Pool, clock?: () => number) {
    this.#pool = pool;
    this.#clock = clock;
  }

  #now(): number | null {
    return this.#clock ? this.#clock() : null;
  }

  /** Count one more consecutive failure for `user` (an account or not); lock at `threshold`. */
  async failure(user: string, threshold: number, lockoutMs: number): Promise<LoginFailureOutcome> {
    const { rows } = await this.#pool.query<{ r: LoginFailureOutcome }>(
      'SELECT ledger_login_failure($1, $2, $3, $4) AS r',
      [user, this.#now(), threshold, lockoutMs],
    );
    return rows[0]?.r as LoginFailureOutcome;
  }

  /**
   * A login passed: reset the name's count and, with a TOTP step, record it unless it was already
   * used (`totpAccepted` false: refuse the login). `active` false when the account was closed or
   * locked by an operator meanwhile.
   */
  async success(
    user: string,
    accountId: number,
    totpStep: number | null,
  ): Promise<{ active: boolean; totpAccepted: boolean }> {
    const { rows } = await this.#pool.query<{ r: { active: boolean; totpAccepted: boolean } }>(
      'SELECT ledger_login_success($1, $2, $3, $4) AS r',
      [user, accountId, totpStep, this.#now()],
    );
    return rows[0]?.r ?? { active: false, totpAccepted: false };
  }

  /** Locked right now by an operator (accounts.locked) or by failed logins; any name. */
  async nameLocked(user: string): Promise<boolean> {
    const { rows } = await this.#pool.query<{ locked: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM accounts WHERE username = $1 AND kind = 'customer' AND locked)
         OR EXISTS (SELECT 1 FROM login_failures WHERE username = $1 AND locked_until_ms > ${NOW}) AS locked`,
      [user, this.#now()],
    );
    return rows[0]?.locked === true;
  }

  /** Consecutive failures counted for a name now (0 after a lock period ended). */
  async failuresOf(user: string): Promise<number> {
    const { rows } = await this.#pool.query<{ failures: number }>(
      `SELECT CASE WHEN locked_until_ms IS NOT NULL AND ${NOW} >= locked_until_ms THEN 0 ELSE failures END AS failures
       FROM login_failures WHERE username = $1`,
      [user, this.#now()],
    );
    return rows[0]?.failures ?? 0;
  }

  /** Drop rows that hold no lock and saw no failure for a day. Returns how many went. */
  async prune(): Promise<number> {
    const { rowCount } = await this.#pool.query(
      `DELETE FROM login_failures
       WHERE (locked_until_ms IS NULL OR locked_until_ms <= ${NOW}) AND updated_ms < ${NOW} - $1`,
      [LOGIN_FAILURE_RETENTION_MS, this.#now()],
    );
    return rowCount ?? 0;
  }
}
