/** The ledger rules for an account's own settings: password, contact details, two-factor on and off. */
import type { RequestOf } from '../../protocol/index.js';
import type { AccountRow, LedgerStore } from './ledger-store.js';
import { type MutationOutcome, type PreparedChange, refuse, success } from './mutation-types.js';

export function changePassword(store: LedgerStore, account: AccountRow, prepared: PreparedChange): MutationOutcome {
  if (!prepared.newPasswordHash) return refuse('INTERNAL', 'change_password needs the new password hash');
  store.setPasswordHash(account.id, prepared.newPasswordHash);
  return success({});
}

export function updateContact(
  store: LedgerStore,
  account: AccountRow,
  request: RequestOf<'update_contact'>,
  prepared: PreparedChange,
): MutationOutcome {
  // Plaintext must never reach the database: a field in the request needs its sealed form.
  if (request.email !== undefined && typeof prepared.emailSealed !== 'string') {
    return refuse('INTERNAL', 'update_contact needs the sealed e-mail');
  }
  if (request.phone !== undefined && typeof prepared.phoneSealed !== 'string') {
    return refuse('INTERNAL', 'update_contact needs the sealed phone');
  }
  if (prepared.emailSealed !== undefined || prepared.phoneSealed !== undefined) {
    store.setContact(account.id, prepared.emailSealed, prepared.phoneSealed);
  }
  return success({});
}

export function confirmTotp(store: LedgerStore, account: AccountRow, prepared: PreparedChange): MutationOutcome {
  if (account.totp_pending_sealed === null) {
    return refuse('INVALID_REQUEST', 'no two-factor enrolment is pending; call totp_enroll first');
  }
  if (prepared.totpSecretSealed !== undefined && prepared.totpSecretSealed !== account.totp_pending_sealed) {
    return refuse('TOTP_INVALID', 'the enrolment changed while the code was checked; enrol again');
  }
  store.confirmTotp(account.id, prepared.totpStep ?? null);
  return success({});
}

/** totp_disable: the handler checked password and code; turning off what is off is a no-op. */
export function disableTotp(store: LedgerStore, account: AccountRow, prepared: PreparedChange): MutationOutcome {
  if (prepared.totpDisableChecked !== true) return refuse('INTERNAL', 'totp_disable needs its credentials checked');
  store.disableTotp(account.id);
  return success({});
}
