import type { HistoryEntry, Notice, OpResult, ReversalReason, Role, WireErrorCode } from '../../protocol/index.js';

/**
 * The contract between the ATM's client library and everything that uses it (the Ink
 * screens, `atm exec`, `atm script`, `atm bench`). Business outcomes are values: every
 * call resolves, never rejects, with `{ ok: true, value }` or `{ ok: false, error }`.
 */

/** Codes the client itself may report, besides the server's wire codes. */
export type ClientOnlyCode =
  | 'CONNECTION_LOST' // the connection dropped and the request could not be confirmed
  | 'CONNECT_FAILED' // TCP/TLS connection could not be made
  | 'TLS_ERROR' // certificate verification or TLS negotiation failed
  | 'TIMEOUT' // no answer in time
  | 'SESSION_EXPIRED' // the server sent the SESSION_EXPIRED notice
  | 'SERVER_SHUTDOWN' // the server sent the SERVER_SHUTDOWN notice
  | 'BAD_SERVER_MESSAGE' // the server sent something that breaks protocol/README.md
  | 'SESSION_CLOSED'; // the session was closed (logout, close()) before the call

export type ClientErrorCode = WireErrorCode | ClientOnlyCode;

/** Numbers and reasons the server sent with an error (protocol/README.md §6), kept for the caller. */
export interface ClientErrorDetails {
  /** LIMIT_EXCEEDED: what is left of today's withdrawal limit. */
  remainingCents?: number;
  /** INVALID_AMOUNT: the per-request maximum the amount went over. */
  maxAmountCents?: number;
  /** SERVER_BUSY / RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs?: number;
  /** TOTP_INVALID: the code was right but already used. */
  reason?: 'USED';
}

export interface ClientError extends ClientErrorDetails {
  code: ClientErrorCode;
  message: string;
  /**
   * Set when a state-changing request was sent but its outcome could not be confirmed
   * (CONNECTION_LOST, TIMEOUT, a notice or close() while it was in flight): the id the ATM
   * re-sends to learn the outcome, or whose withdrawal it reverses later.
   */
  requestId?: string;
  /** With SERVER_BUSY and RATE_LIMITED, when the bank said: how long to wait before trying again (ms). */
  retryAfterMs?: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ClientError };

export interface ConnectOptions {
  host: string;
  port: number;
  /** CA certificate PEM (contents or a path); default `./bank-data/tls/ca.crt`. */
  ca?: string | Buffer;
  /**
   * The ATM's terminal certificate and its key (PEM contents or paths), issued by
   * `bank-server terminals enroll`. With them the session is a terminal session (cash moves; the
   * terminal id is the certificate's CN); without them a remote session (no cash).
   */
  terminalCert?: string | Buffer;
  terminalKey?: string | Buffer;
  /** Turns certificate verification off. Never the default; the CLI flag says so loudly. */
  dangerouslySkipCertificateVerification?: boolean;
  /** How long to wait for connect + handshake, and for each response (ms). */
  timeoutMs?: number;
  /** How many times a lost idempotent request is retried with the same id (default 3). */
  maxRetries?: number;
  /** First pause before a reconnect or a SERVER_BUSY retry, doubled each time, jittered (ms, default 200). */
  retryBackoffMs?: number;
  /** How many times a login answered SERVER_BUSY is tried again after the wait it asks for (default 20). */
  maxBusyRetries?: number;
}

export interface Credentials {
  user: string;
  password: string;
  totp?: string;
}

/** Per-call options for requests that change state. */
export interface MutationOptions {
  /** Request id; generated when absent. Reusing one is how a caller retries safely. */
  id?: string;
}

/** What the library learned while retrying a lost request (reported alongside the result). */
export interface RetryReport {
  id: string;
  attempts: number;
  reconnected: boolean;
  replayed: boolean;
}

/** A logged-in session. */
export interface BankSession {
  readonly user: string;
  readonly sessionId: string;
  readonly idleTimeoutSec: number;
  /** The terminal id from this ATM's certificate (a terminal session); null for a remote session. */
  readonly terminal: string | null;
  /** `welcome.role` (protocol/README.md §5.2): a teller's session serves customers; absent means customer. */
  readonly role: Role;
  /** The customer a teller session acts for now (from the last `serve` answer); null when serving no one. */
  readonly servedCustomer: string | null;

  balance(): Promise<Outcome<OpResult<'balance'>>>;
  deposit(amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'deposit'>>>;
  withdraw(amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'withdraw'>>>;
  transfer(to: string, amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'transfer'>>>;
  reverse(txId: string, reason: ReversalReason, options?: MutationOptions): Promise<Outcome<OpResult<'reverse'>>>;
  history(query?: {
    limit?: number;
    before?: string;
  }): Promise<Outcome<{ entries: HistoryEntry[]; next: string | null }>>;
  changePassword(
    current: string,
    next: string,
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<'change_password'>>>;
  updateContact(
    contact: { email?: string; phone?: string },
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<'update_contact'>>>;
  /** Re-authenticates with the account's password (and current code when two-factor is on). */
  totpEnroll(password: string, totp?: string): Promise<Outcome<OpResult<'totp_enroll'>>>;
  totpDisable(password: string, totp: string, options?: MutationOptions): Promise<Outcome<OpResult<'totp_disable'>>>;
  totpConfirm(code: string, options?: MutationOptions): Promise<Outcome<OpResult<'totp_confirm'>>>;
  ping(): Promise<Outcome<OpResult<'ping'>>>;
  /**
   * Teller sessions only (§5.2). `serve` checks the customer's password (and code) like a login
   * and, on success, every customer op applies to that customer until `release` or the next `serve`.
   */
  serve(user: string, password: string, totp?: string): Promise<Outcome<OpResult<'serve'>>>;
  release(): Promise<Outcome<OpResult<'release'>>>;
  /** Opens a customer account (works when registration is closed); does not change who is served. */
  openAccount(user: string, password: string, options?: MutationOptions): Promise<Outcome<OpResult<'open_account'>>>;
  /** Sends logout and closes. */
  logout(): Promise<Outcome<OpResult<'logout'>>>;
  /** Closes without logout. */
  close(): void;

  /** SESSION_EXPIRED / SERVER_SHUTDOWN notices. Returns an unsubscribe function. */
  onNotice(listener: (notice: Notice) => void): () => void;
  /** The connection closed, for any reason. Returns an unsubscribe function. */
  onClose(listener: (reason: ClientError | null) => void): () => void;
  /** Retries the library performed (lost responses re-sent with the same id). */
  onRetry(listener: (report: RetryReport) => void): () => void;
}

/** What the screens and tools need to open a session. */
export interface BankConnector {
  login(credentials: Credentials): Promise<Outcome<BankSession>>;
  register(credentials: Credentials): Promise<Outcome<BankSession>>;
}
