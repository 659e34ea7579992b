/** The SQLite ledger's record shapes: what callers see, the raw rows, and the mapping between them. */
import type { HistoryEntry, HistoryKind } from '../../protocol/index.js';
import type { FraudAlert, FraudOp, FraudRule } from '../fraud/index.js';
import { formatTxId } from './tx-id.js';
import type { BalanceWrite } from './writer-row-cache.js';

/** One customer account as the session layer and the operator CLI see it. */
export interface AccountRecord {
  id: number;
  user: string;
  passwordHash: string;
  status: 'active' | 'closed';
  locked: boolean;
  failedLogins: number;
  totpEnabled: boolean;
  /** The confirmed TOTP secret, sealed with the data key (PiiBox). */
  totpSecretSealed: string | null;
  /** A secret from `totp_enroll` waiting for `totp_confirm`, sealed with the data key. */
  totpPendingSealed: string | null;
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totpLastStep: number | null;
  emailSealed: string | null;
  phoneSealed: string | null;
  createdAt: string;
  /** `customer` (the default) or `teller` (protocol/README.md §5.2); absent means customer. */
  role?: AccountRole;
}

export type AccountRole = 'customer' | 'teller';

/** A row of `accounts list`. */
/** What a balance request answers and checks (protocol/README.md §5.1), read in one go. */
export interface BalanceView {
  status: 'active' | 'closed';
  locked: boolean;
  balanceCents: number;
  /** Withdrawn on the UTC day asked about; the daily limit counts it. */
  withdrawnCents: number;
  totpEnabled: boolean;
}

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

/**
 * @internal The accounts columns both backends have; `B` is how a backend returns a boolean
 * (SQLite as 0/1, PostgreSQL natively).
 */
export interface AccountColumns<B> {
  id: number;
  username: string;
  kind: 'customer' | 'vault' | 'terminal';
  password_hash: string;
  status: 'active' | 'closed';
  locked: B;
  failed_logins: number;
  balance_cents: number;
  withdrawn_day: string | null;
  withdrawn_cents: number;
  totp_enabled: B;
  totp_secret_sealed: string | null;
  totp_pending_sealed: string | null;
  totp_last_step: number | null;
  email_sealed: string | null;
  phone_sealed: string | null;
  created_at: string;
}

/** @internal The raw SQLite accounts row (PostgreSQL has no roles column yet). */
export interface AccountRow extends AccountColumns<number> {
  role: AccountRole;
}

/** @internal The accounts columns in the table's order, as {@link withBalance} copies them. */
export const ACCOUNT_COLUMNS = [
  'id',
  'username',
  'kind',
  'password_hash',
  'status',
  'locked',
  'failed_logins',
  'balance_cents',
  'withdrawn_day',
  'withdrawn_cents',
  'totp_enabled',
  'totp_secret_sealed',
  'totp_pending_sealed',
  'totp_last_step',
  'email_sealed',
  'phone_sealed',
  'created_at',
  'role',
] as const satisfies ReadonlyArray<keyof AccountRow>;

/**
 * @internal `row` with a balance update's RETURNING in it (writer-row-cache.ts), as one object
 * literal: `{ ...row, ...write }` of a frozen row cost 0.68 µs and this 0.13 µs (node, alone), twice
 * per mutation. The row cache uses it only while the table has exactly {@link ACCOUNT_COLUMNS}
 * (checked when it starts), so a column a migration adds is never dropped: then a spread does it.
 */
export function withBalance(row: AccountRow, write: BalanceWrite): AccountRow {
  return {
    id: row.id,
    username: row.username,
    kind: row.kind,
    password_hash: row.password_hash,
    status: row.status,
    locked: row.locked,
    failed_logins: row.failed_logins,
    balance_cents: write.balance_cents,
    withdrawn_day: write.withdrawn_day,
    withdrawn_cents: write.withdrawn_cents,
    totp_enabled: row.totp_enabled,
    totp_secret_sealed: row.totp_secret_sealed,
    totp_pending_sealed: row.totp_pending_sealed,
    totp_last_step: row.totp_last_step,
    email_sealed: row.email_sealed,
    phone_sealed: row.phone_sealed,
    created_at: row.created_at,
    role: row.role,
  };
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
  /** The terminal the cash moved at; null for transfers. */
  terminal: string | null;
}

/** @internal A fraud alert row; `B` as in {@link AccountColumns}. */
export interface AlertColumns<B> {
  id: number;
  username: string;
  rule: FraudRule;
  op: FraudOp;
  amount_cents: number;
  detail: string;
  blocked: B;
  request_id: string | null;
  created_ms: number;
}

export type AlertRow = AlertColumns<number>;

/** How a backend's boolean column reads as a boolean. */
export type ReadFlag<B> = (value: B) => boolean;

const sqliteFlag: ReadFlag<number> = (value) => value !== 0;

/** @internal The columns a balance request reads (ledger-statements.ts `balanceView`). */
export interface BalanceViewRow {
  status: 'active' | 'closed';
  locked: number;
  balance_cents: number;
  withdrawn_cents: number;
  totp_enabled: number;
}

/** @internal The record without the role, from either backend's row. */
export function recordOf<B>(row: AccountColumns<B>, flag: ReadFlag<B>): Omit<AccountRecord, 'role'> {
  return {
    id: row.id,
    user: row.username,
    passwordHash: row.password_hash,
    status: row.status,
    locked: flag(row.locked),
    failedLogins: row.failed_logins,
    totpEnabled: flag(row.totp_enabled),
    totpSecretSealed: row.totp_secret_sealed,
    totpPendingSealed: row.totp_pending_sealed,
    totpLastStep: row.totp_last_step,
    emailSealed: row.email_sealed,
    phoneSealed: row.phone_sealed,
    createdAt: row.created_at,
  };
}

/** @internal A stored alert from either backend's row. */
export function alertOf<B>(row: AlertColumns<B>, flag: ReadFlag<B>): FraudAlertRecord {
  return {
    id: row.id,
    at: new Date(row.created_ms).toISOString(),
    rule: row.rule,
    user: row.username,
    op: row.op,
    amountCents: row.amount_cents,
    detail: row.detail,
    blocked: flag(row.blocked),
    requestId: row.request_id,
  };
}

export function toRecord(row: AccountRow): AccountRecord {
  return { ...recordOf(row, sqliteFlag), role: row.role };
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
  return alertOf(row, sqliteFlag);
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
