import type { HistoryEntry, HistoryKind } from '../../../protocol/index.js';
import type { FraudOp, FraudRule } from '../../fraud/index.js';
import type { AccountRecord, FraudAlertRecord } from '../ledger-store.js';
import { formatTxId } from '../tx-id.js';

/** The accounts row as PostgreSQL returns it (BIGINT parsed to number, booleans native). */
export interface AccountRow {
  id: number;
  username: string;
  kind: 'customer' | 'vault' | 'terminal';
  password_hash: string;
  status: 'active' | 'closed';
  locked: boolean;
  failed_logins: number;
  balance_cents: number;
  withdrawn_day: string | null;
  withdrawn_cents: number;
  totp_enabled: boolean;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  email_sealed: string | null;
  phone_sealed: string | null;
  created_at: string;
}

export interface HistoryRow {
  tx_seq: number;
  kind: HistoryKind;
  amount_cents: number;
  balance_after: number;
  counterparty: string | null;
  created_ms: number;
  /** The terminal the cash moved at; null for transfers. */
  terminal: string | null;
}

export interface AlertRow {
  id: number;
  username: string;
  rule: FraudRule;
  op: FraudOp;
  amount_cents: number;
  detail: string;
  blocked: boolean;
  request_id: string | null;
  created_ms: number;
}

export function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    user: row.username,
    passwordHash: row.password_hash,
    status: row.status,
    locked: row.locked,
    failedLogins: row.failed_logins,
    totpEnabled: row.totp_enabled,
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step,
    emailSealed: row.email_sealed,
    phoneSealed: row.phone_sealed,
    createdAt: row.created_at,
  };
}

export function toAlert(row: AlertRow): FraudAlertRecord {
  return {
    id: row.id,
    at: new Date(row.created_ms).toISOString(),
    rule: row.rule,
    user: row.username,
    op: row.op,
    amountCents: row.amount_cents,
    detail: row.detail,
    blocked: row.blocked,
    requestId: row.request_id,
  };
}

export function toHistory(row: HistoryRow): HistoryEntry {
  return {
    txId: formatTxId(row.tx_seq),
    kind: row.kind,
    amountCents: row.amount_cents,
    balanceAfterCents: row.balance_after,
    counterparty: row.counterparty,
    at: new Date(row.created_ms).toISOString(),
    terminal: row.terminal ?? null,
  };
}
