import type { WireErrorCode } from '../../protocol/index.js';
import type { RequestContext } from './request-handler.js';
import type { SessionServices } from './services.js';

/**
 * Re-authentication inside a session (protocol/README.md §5.1): change_password, totp_enroll and
 * totp_disable check the account's password, and its current code when two-factor is on. A wrong
 * one counts as a failed login for the name (§2.1); the one that reaches the threshold answers
 * ACCOUNT_LOCKED and ends the session, so holding a session is no way to guess the password.
 */

export type ReauthOutcome =
  | { ok: true; totpStep: number | null }
  | {
      ok: false;
      code: Extract<WireErrorCode, 'AUTH_FAILED' | 'TOTP_REQUIRED' | 'TOTP_INVALID' | 'ACCOUNT_LOCKED'>;
      /** The session must end after this answer (the failure locked the name). */
      endSession: boolean;
      reason?: 'USED';
    };

export async function reauthenticate(
  services: SessionServices,
  ctx: RequestContext,
  credentials: { password: string; totp?: string | undefined },
): Promise<ReauthOutcome> {
  const { store } = services.ledger;
  const account = await store.getAccount(ctx.account.id);
  if (account?.status !== 'active' || account.locked) return { ok: false, code: 'ACCOUNT_LOCKED', endSession: false };
  // A name locked by failed logins gives no answer about the password here either.
  if (await store.isNameLocked(account.user, services.clock())) {
    return { ok: false, code: 'ACCOUNT_LOCKED', endSession: false };
  }
  const passwordOk = await services.authenticator.checkPassword(account, credentials.password);
  if (!passwordOk) return countFailure(services, account.user, 'AUTH_FAILED');
  let totpStep: number | null = null;
  if (account.totpEnabled) {
    if (credentials.totp === undefined) return { ok: false, code: 'TOTP_REQUIRED', endSession: false };
    const check = services.totp.verify(account.totpSecretSealed ?? '', credentials.totp, account.totpLastStep);
    if (!check.ok) return countFailure(services, account.user, 'TOTP_INVALID', check.reason);
    totpStep = check.step;
  }
  if (!(await services.ledger.resetFailures(account.user, account.id, totpStep))) {
    return { ok: false, code: 'ACCOUNT_LOCKED', endSession: false };
  }
  return { ok: true, totpStep };
}

async function countFailure(
  services: SessionServices,
  user: string,
  code: 'AUTH_FAILED' | 'TOTP_INVALID',
  reason?: 'USED',
): Promise<ReauthOutcome> {
  const result = await services.authenticator.recordFailure(user);
  if (result.locked) return { ok: false, code: 'ACCOUNT_LOCKED', endSession: true };
  return reason === undefined ? { ok: false, code, endSession: false } : { ok: false, code, endSession: false, reason };
}
