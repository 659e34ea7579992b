import type { AuditEventInput } from '../../audit/index.js';
import type { CredentialsOutcome, ParsedHello, WireErrorCode } from '../../protocol/index.js';
import type { SessionAccount, SessionServices } from './services.js';

/** A login that may open a session: the engine's outcome, and the account behind a success. */
export interface LoginVerdict {
  credentials: CredentialsOutcome;
  account?: SessionAccount;
  registered?: boolean;
}

export interface LoginCheck {
  services: SessionServices;
  hello: ParsedHello;
  address: string;
  /** The certificate's terminal id; null in a remote session. */
  terminal: string | null;
  /** When the handshake must be done (on the services' clock). */
  deadlineMs: number;
  /** Aborted when the connection closes: a check still queued is dropped unstarted. */
  signal: AbortSignal;
  /** Whether the connection still waits for the answer (read after the check). */
  stillWaiting: () => boolean;
  audit: (event: AuditEventInput) => void;
}

/**
 * The password check of a hello (protocol/README.md §2.1): admission, rate limits, lockout and
 * credentials by the authenticator, then the role rule (§5.2). Every attempt leaves an audit
 * event, whether or not its connection is still open. Null: nothing is to be answered.
 */
export async function checkLogin(check: LoginCheck): Promise<LoginVerdict | null> {
  const { auth } = check.hello.message;
  const { authenticator, metrics } = check.services;
  const attempt = {
    user: auth.user,
    password: auth.password,
    address: check.address,
    deadlineMs: check.deadlineMs,
    signal: check.signal,
  };
  const outcome =
    auth.method === 'register'
      ? await authenticator.register(attempt)
      : await authenticator.login({ ...attempt, ...(auth.totp === undefined ? {} : { totp: auth.totp }) });
  metrics.logins.inc({ method: auth.method, outcome: outcome.ok ? 'ok' : outcome.code });
  const connectionOpen = check.stillWaiting();
  const closedNote = connectionOpen ? {} : { connection: 'closed' };
  if (!outcome.ok) {
    const abandoned = outcome.code === 'ABANDONED';
    check.audit({
      kind: abandoned ? 'login_abandoned' : 'login_failed',
      actor: auth.user,
      outcome: 'error',
      code: abandoned ? null : outcome.code,
      detail: {
        method: auth.method,
        ...closedNote,
        ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
      },
    });
    if (outcome.lockedNow) {
      metrics.lockouts.inc();
      check.audit({ kind: 'lockout', actor: auth.user, code: 'ACCOUNT_LOCKED' });
    }
    if (abandoned || !connectionOpen) return null;
    return {
      credentials: {
        ok: false,
        code: outcome.code as WireErrorCode,
        ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      },
    };
  }
  const role = outcome.account.role ?? 'customer';
  if (role === 'teller' && check.terminal === null) {
    // After the password check (§5.2): the role is told only to someone who knows the password.
    check.audit({
      kind: 'login_failed',
      actor: auth.user,
      outcome: 'error',
      code: 'TERMINAL_REQUIRED',
      detail: { method: auth.method, role, ...closedNote },
    });
    return connectionOpen ? { credentials: { ok: false, code: 'TERMINAL_REQUIRED' } } : null;
  }
  if (!connectionOpen) {
    check.audit({
      kind: outcome.registered ? 'register' : 'login',
      actor: outcome.account.user,
      outcome: 'ok',
      detail: { connection: 'closed' },
    });
    return null;
  }
  return {
    credentials: { ok: true, user: outcome.account.user, role },
    account: outcome.account,
    registered: outcome.registered,
  };
}
