/** What a ledger mutation takes and gives back: the mutating ops, prepared secrets, the outcome and its builders. */
import type { RequestOf, WireErrorCode } from '../../protocol/index.js';
import type { FraudAlert } from '../fraud/index.js';
import type { LedgerConfig } from './ledger-config.js';
import type { SessionTerminal } from './terminal-ledger.js';

/** The ops that change state and are applied at most once per (account, id). */
export type MutatingOp =
  | 'deposit'
  | 'withdraw'
  | 'transfer'
  | 'reverse'
  | 'change_password'
  | 'update_contact'
  | 'totp_confirm'
  | 'totp_disable';

export type MutatingRequest = RequestOf<MutatingOp>;

/**
 * What the handler prepared outside the writer (bcrypt, sealing and TOTP checks are slow or need
 * keys). Sealed values are stored as given; the ledger never sees a plaintext secret.
 */
export interface PreparedChange {
  /** change_password: the bcrypt hash of the new password (required). */
  newPasswordHash?: string;
  /** update_contact: required when the request carries `email`; `null` clears the field. */
  emailSealed?: string | null;
  /** update_contact: required when the request carries `phone`; `null` clears the field. */
  phoneSealed?: string | null;
  /** totp_confirm: the pending secret the code was checked against; if it changed since, TOTP_INVALID. */
  totpSecretSealed?: string;
  /** totp_confirm: the time step of the accepted code, stored as the replay guard. */
  totpStep?: number;
  /** totp_disable: the handler checked the password and the current code. */
  totpDisableChecked?: boolean;
}

/**
 * Numbers an error object may carry to help the customer (protocol/README.md §6). A type, not an
 * interface, so it is assignable to the error object's record of fields.
 */
export type RefusalDetails = {
  remainingCents?: number;
  maxAmountCents?: number;
};

export type MutationOutcome =
  | { ok: true; result: Record<string, unknown>; replayed: boolean; alerts: FraudAlert[] }
  | { ok: false; code: WireErrorCode; message?: string; alerts: FraudAlert[]; details?: RefusalDetails };

export interface MutationContext {
  accountId: number;
  user: string;
  nowMs: number;
  config: LedgerConfig;
  /** The enrolled terminal of a terminal session (from its certificate); absent or null = remote session. */
  terminal?: SessionTerminal | null;
  /** The teller acting for this customer at the counter (protocol/README.md §5.2); absent or null otherwise. */
  tellerId?: number | null;
}

export type Refusal = Extract<MutationOutcome, { ok: false }>;
export type Success = Extract<MutationOutcome, { ok: true }>;

export function refuse(code: WireErrorCode, message?: string, alerts: FraudAlert[] = []): Refusal {
  return message === undefined ? { ok: false, code, alerts } : { ok: false, code, message, alerts };
}

export function success(result: Record<string, unknown>, alerts: FraudAlert[] = []): Success {
  return { ok: true, result, replayed: false, alerts };
}

export function replayOf(response: Record<string, unknown>): Success {
  return { ok: true, result: { ...response, replayed: true }, replayed: true, alerts: [] };
}
