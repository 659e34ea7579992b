/** The SQLite ledger's record shapes: what callers see, the raw rows, and the mapping between them. */
import type { HistoryEntry, HistoryKind } from '../../protocol/index.js';
import type { FraudAlert, FraudOp, FraudRule } from '../fraud/index.js';
import { formatTxId } from './tx-id.js';

/** One customer account as the session layer and the operator CLI see it. */
export interface AccountRecord {
  id: number;
  user: string;
  passwordHash: string;
  status: 'active' | 'closed';
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  totpSecretSealed: string | null;
  totpPendingSealed: string | null;
  totpLastStep: number | null;
  emailSealed: string | null;
  phoneSealed: string | null;
  createdAt: string;
  /** `customer` (the default) or `teller` (protocol/README.md §5.2); absent means customer. */
  role?: AccountRole;
}

export type AccountRole = 'customer' | 'teller';

/** A row of `accounts list`. */
export interface AccountSummary {
  user: string;
  balanceCents: number;
  status: string;
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  createdAt: string;
  role?: AccountRole;
}

/** A fraud alert as stored: the alert, when, and whether the request was refused. */
export interface FraudAlertRecord extends FraudAlert {
  id: number;
  at: string;
  blocked: boolean;
  requestId: string | null;
}

/** @internal The raw accounts row. */
export interface AccountRow {
  id: number;
  username: string;
  kind: 'customer' | 'vault' | 'terminal';
  password_hash: string;
  status: 'active' | 'closed';
  locked: number;
  failed_logins: number;
  balance_cents: number;
  withdrawn_day: string | null;
  withdrawn_cents: number;
  totp_enabled: number;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  email_sealed: string | null;
  phone_sealed: string | null;
  created_at: string;
  role: AccountRole;
}

/** @internal A journal row, as the reversal rule reads it. */
export interface TransactionRow {
  seq: number;
  kind: 'deposit' | 'withdrawal' | 'transfer' | 'reversal' | 'load' | 'unload';
  account_id: number;
  amount_cents: number;
  created_ms: number;
  /** The terminal the cash moved at; null for transfers and for entries made before terminals. */
  terminal: string | null;
}

export interface HistoryRow {
  tx_seq: number;
  kind: HistoryKind;
  amount_cents: number;
  balance_after: number;
  counterparty: string | null;
  created_ms: number;
  terminal: string | null;
}

export interface AlertRow {
  id: number;
  username: string;
  rule: FraudRule;
  op: FraudOp;
  amount_cents: number;
  detail: string;
  blocked: number;
  request_id: string | null;
  created_ms: number;
}

export function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    user: row.username,
    passwordHash: row.password_hash,
    status: row.status,
    locked: row.locked !== 0,
    failedLogins: row.failed_logins,
    totpEnabled: row.totp_enabled !== 0,
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step,
    emailSealed: row.email_sealed,
    phoneSealed: row.phone_sealed,
    createdAt: row.created_at,
    role: row.role,
  };
}

export function toSummary(row: AccountRow): AccountSummary {
  const { user, status, locked, failedLogins, totpEnabled, createdAt } = toRecord(row);
  return {
    user,
    balanceCents: row.balance_cents,
    status,
    locked,
    failedLogins,
    totpEnabled,
    createdAt,
    role: row.role,
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
    blocked: row.blocked !== 0,
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
    terminal: row.terminal,
  };
}
