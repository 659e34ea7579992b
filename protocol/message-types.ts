/**
 * The shapes of every secure-atm/1 message (protocol/README.md §2, §5, §6). Types only: the
 * parsers and encoders beside this file read and write them.
 */
import type { HISTORY_KINDS, NOTICE_KINDS, OPS, PROTOCOL_ID, REVERSAL_REASONS, ROLES } from './constants.js';
import type { WireErrorCode } from './errors.js';

// ---------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------

export type AuthMethod = 'password' | 'register';

export interface HelloAuth {
  method: AuthMethod;
  user: string;
  password: string;
  totp?: string;
}

export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL_ID;
  clientNonce: string;
  clientKey: string;
  terminal?: string;
  auth: HelloAuth;
}

/** A validated hello with its byte fields decoded. */
export interface ParsedHello {
  message: HelloMessage;
  clientNonce: Buffer;
  clientKey: Buffer;
}

export type Role = (typeof ROLES)[number];

export interface WelcomeMessage {
  type: 'welcome';
  protocol: typeof PROTOCOL_ID;
  serverNonce: string;
  serverKey: string;
  sessionId: string;
  user: string;
  /** Revision 2; a welcome without it (revision 1) is a customer session. */
  role?: Role;
  idleTimeoutSec: number;
}

export interface ParsedWelcome {
  message: WelcomeMessage;
  serverNonce: Buffer;
  serverKey: Buffer;
  sessionId: Buffer;
}

export interface ErrorFrame {
  type: 'error';
  code: WireErrorCode;
  message: string;
  /** With SERVER_BUSY and RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs?: number;
  /** With TOTP_INVALID: the code was right but already used (§7.7). */
  reason?: 'USED';
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

export type Op = (typeof OPS)[number];
export type ReversalReason = (typeof REVERSAL_REASONS)[number];

export type RequestBody =
  | { op: 'balance' }
  | { op: 'deposit'; amountCents: number }
  | { op: 'withdraw'; amountCents: number }
  | { op: 'transfer'; amountCents: number; to: string }
  | { op: 'reverse'; txId: string; reason: ReversalReason }
  | { op: 'history'; limit?: number; before?: string }
  | { op: 'change_password'; current: string; new: string }
  | { op: 'update_contact'; email?: string; phone?: string }
  | { op: 'totp_enroll'; password: string; totp?: string }
  | { op: 'totp_confirm'; code: string }
  | { op: 'totp_disable'; password: string; totp: string }
  | { op: 'logout' }
  | { op: 'ping' }
  | { op: 'serve'; user: string; password: string; totp?: string }
  | { op: 'release' }
  | { op: 'open_account'; user: string; password: string };

export type Request = RequestBody & { id: string };
export type RequestOf<O extends Op> = Extract<Request, { op: O }>;

// ---------------------------------------------------------------------------------------
// Responses and notices
// ---------------------------------------------------------------------------------------

export type HistoryKind = (typeof HISTORY_KINDS)[number];

export interface HistoryEntry {
  txId: string;
  kind: HistoryKind;
  amountCents: number;
  balanceAfterCents: number;
  counterparty: string | null;
  /** The terminal the entry was made at (revision 2), null for transfers and older entries. */
  terminal?: string | null;
  at: string;
}

/** The result each op returns on success. `replayed` is added to a replayed idempotent result. */
export interface ResultMap {
  balance: {
    balanceCents: number;
    currency: string;
    dailyWithdrawalRemainingCents: number;
    maxAmountCents: number;
    twoFactor: boolean;
  };
  deposit: { balanceCents: number; txId: string };
  withdraw: { balanceCents: number; txId: string };
  transfer: { balanceCents: number; txId: string };
  reverse: { balanceCents: number; txId: string; reversedTxId: string };
  history: { entries: HistoryEntry[]; next: string | null };
  change_password: Record<string, never>;
  update_contact: Record<string, never>;
  totp_enroll: { otpauthUri: string; secret: string };
  totp_confirm: Record<string, never>;
  totp_disable: Record<string, never>;
  logout: Record<string, never>;
  ping: { serverTime: string };
  serve: { user: string; balanceCents: number };
  release: Record<string, never>;
  open_account: { user: string };
}

export type OpResult<O extends Op> = ResultMap[O] & { replayed?: true };

/** Numbers that help the customer (§6); clients ignore fields they do not know. */
export interface WireErrorDetails {
  remainingCents?: number;
  maxAmountCents?: number;
  retryAfterMs?: number;
  reason?: 'USED';
}

export interface WireError extends WireErrorDetails {
  code: WireErrorCode;
  message: string;
}

/** A response as a client parses it: results are checked per op afterwards (result-checks.ts). */
export type Response =
  | { id: string | null; ok: true; result: Record<string, unknown> }
  | { id: string | null; ok: false; error: WireError };

export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface Notice {
  notice: NoticeKind;
  message: string;
}

export type ServerMessage = { kind: 'response'; response: Response } | { kind: 'notice'; notice: Notice };
