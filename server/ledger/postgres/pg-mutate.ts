import { isValidAmount, type WireErrorCode } from '../../../protocol/index.js';
import type { FraudAlert } from '../../fraud/index.js';
import type { MutatingRequest, MutationOutcome, PreparedChange, RefusalDetails } from '../apply-mutation.js';
import type { LedgerConfig } from '../ledger-config.js';
import { parseTxId } from '../tx-id.js';

/** The enrolled terminal a session's certificate named (the terminals' SessionTerminal). */
export interface SessionTerminal {
  id: string;
  fingerprint: string;
}

/** The call: one round trip per mutation. */
export const MUTATE_SQL =
  'SELECT ledger_mutate($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) AS r';

/** The rules' settings as the function reads them (numbers kept as JavaScript prints them, for the alert texts). */
export function configJson(config: LedgerConfig): string {
  return JSON.stringify({
    dailyWithdrawalLimitCents: config.dailyWithdrawalLimitCents,
    maxAmountCents: config.maxAmountCents,
    reversalWindowSec: config.reversalWindowSec,
    largeAmountCents: config.fraud.largeAmountCents,
    velocityCount: config.fraud.velocityCount,
    velocityWindowSec: config.fraud.velocityWindowSec,
    fraudAction: config.fraudAction,
  });
}

/**
 * What apply-mutation.ts refuses from the request and the prepared values alone (before it reads
 * anything but the applied id and the account): the function answers it after those two checks,
 * so a replay still wins over a malformed retry exactly as on SQLite.
 */
function refusalFromRequest(
  request: MutatingRequest,
  prepared: PreparedChange,
  config: LedgerConfig,
): { code: WireErrorCode; message: string | null } | null {
  switch (request.op) {
    case 'deposit':
    case 'withdraw':
    case 'transfer':
      return isValidAmount(request.amountCents, config.maxAmountCents)
        ? null
        : { code: 'INVALID_AMOUNT', message: null };
    case 'reverse':
      // An unparsable txId is UNKNOWN_TX after the terminal check, as for one that is not there.
      return null;
    case 'change_password':
      return prepared.newPasswordHash
        ? null
        : { code: 'INTERNAL', message: 'change_password needs the new password hash' };
    case 'update_contact':
      // Plaintext must never reach the database: a field in the request needs its sealed form.
      if (request.email !== undefined && typeof prepared.emailSealed !== 'string') {
        return { code: 'INTERNAL', message: 'update_contact needs the sealed e-mail' };
      }
      if (request.phone !== undefined && typeof prepared.phoneSealed !== 'string') {
        return { code: 'INTERNAL', message: 'update_contact needs the sealed phone' };
      }
      return null;
    case 'totp_confirm':
      return null;
    case 'totp_disable':
      return prepared.totpDisableChecked === true
        ? null
        : { code: 'INTERNAL', message: 'totp_disable needs its credentials checked' };
  }
}

/** The function's 21 arguments, in order. */
export function mutateParams(
  accountId: number,
  user: string,
  request: MutatingRequest,
  hash: string,
  prepared: PreparedChange,
  nowMs: number | null,
  config: LedgerConfig,
  configText: string,
  terminal: SessionTerminal | null,
): unknown[] {
  const refusal = refusalFromRequest(request, prepared, config);
  const amount = 'amountCents' in request && refusal === null ? request.amountCents : null;
  return [
    accountId,
    user,
    request.id,
    hash,
    request.op,
    amount,
    request.op === 'transfer' ? request.to : null,
    request.op === 'reverse' ? parseTxId(request.txId) : null,
    refusal?.code ?? null,
    refusal?.message ?? null,
    request.op === 'change_password' ? (prepared.newPasswordHash ?? null) : null,
    prepared.emailSealed !== undefined,
    prepared.emailSealed ?? null,
    prepared.phoneSealed !== undefined,
    prepared.phoneSealed ?? null,
    prepared.totpSecretSealed ?? null,
    prepared.totpStep ?? null,
    nowMs,
    configText,
    terminal?.id ?? null,
    terminal?.fingerprint ?? null,
  ];
}

type FunctionResult =
  | { kind: 'ok'; result: Record<string, unknown>; alerts: FraudAlert[] | null }
  | { kind: 'replay'; response: Record<string, unknown> }
  | {
      kind: 'refused';
      code: WireErrorCode;
      message?: string | null;
      alerts?: FraudAlert[] | null;
      details?: RefusalDetails | null;
    };

/** The function's json answer as the MutationOutcome apply-mutation.ts would give. */
export function toOutcome(value: unknown): MutationOutcome {
  const r = value as FunctionResult;
  switch (r.kind) {
    case 'ok':
      return { ok: true, result: r.result, replayed: false, alerts: r.alerts ?? [] };
    case 'replay':
      return replayOutcome(r.response);
    case 'refused': {
      const refusal: MutationOutcome = { ok: false, code: r.code, alerts: r.alerts ?? [] };
      if (typeof r.message === 'string') refusal.message = r.message;
      if (r.details) refusal.details = r.details;
      return refusal;
    }
  }
}

export function replayOutcome(response: Record<string, unknown>): MutationOutcome {
  return { ok: true, result: { ...response, replayed: true }, replayed: true, alerts: [] };
}
