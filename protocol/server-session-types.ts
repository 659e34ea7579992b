/** The inputs and outputs of the server session engine (server-session-engine.ts). */
import type { AmountFault } from './amount-fault.js';
import type { Clock } from './clock.js';
import type { AuditAction, CloseAction, SendAction } from './engine-types.js';
import type { WireErrorCode } from './errors.js';
import type { X25519KeyPair } from './key-schedule.js';
import type { ParsedHello, Request, Role } from './message-types.js';
import type { RequestFault } from './request-messages.js';
import type { ErrorResponseOptions } from './server-messages.js';
import type { TerminalCertificate } from './server-session-hello.js';

export interface ServerSessionOptions {
  /** Any monotonic clock: the deadlines it reports are on the same clock. */
  clock: Pick<Clock, 'now'>;
  idleTimeoutSec: number;
  handshakeTimeoutMs?: number;
  /** When the 10 s handshake deadline started (TCP accept); defaults to when the engine was made. */
  startedAt?: number;
  maxAmountCents?: number;
  /**
   * What the TLS client certificate made of the connection (§1.1): a refused one answers the first
   * frame TERMINAL_REFUSED, and `hello.terminal` must agree with it. Absent: no terminal rules.
   */
  certificate?: TerminalCertificate;
  /** Answer the first frame, whatever it is, with this code and close (§1.1 TERMINAL_REFUSED). */
  refuseFirstFrame?: WireErrorCode;
  /**
   * Bytes sent but not yet taken by the peer (the socket's write queue). Above
   * `maxQueuedOutputBytes` no further request is opened: a client that sends without reading
   * fills its own buffers, not the server's memory.
   */
  queuedOutputBytes?: () => number;
  maxQueuedOutputBytes?: number;
  /** For tests and vectors: the ephemeral key pair and the random bytes (nonce, then session id). */
  keyPair?: () => X25519KeyPair;
  random?: (bytes: number) => Uint8Array;
}

/** What the driver's password check concluded (admission, rate limits, lockout and role rules included). */
export type CredentialsOutcome =
  | { ok: true; user: string; role?: Role }
  | { ok: false; code: WireErrorCode; message?: string; retryAfterMs?: number; reason?: 'USED' };

/** The answer to one dispatched request; the engine adds its id. */
export type SessionAnswer =
  | { ok: true; result: Record<string, unknown> }
  | ({ ok: false; code: WireErrorCode } & ErrorResponseOptions);

export type ServerSessionAction =
  | SendAction
  | CloseAction
  | AuditAction
  | { type: 'checkCredentials'; hello: ParsedHello }
  | { type: 'opened'; sessionId: string; user: string; role: Role }
  /** Carry out this request and report `dispatched(ticket, answer)`; answers leave in ticket order. */
  | { type: 'dispatch'; ticket: number; request: Request }
  /**
   * A malformed request, already answered INVALID_REQUEST / INVALID_AMOUNT in its turn (for
   * metrics and audit); `amount` says what an INVALID_AMOUNT request still told about itself.
   */
  | { type: 'refused'; ticket: number; fault: RequestFault; amount?: AmountFault };
