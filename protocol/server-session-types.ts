/** The inputs and outputs of the server session engine (server-session-engine.ts). */
import type { Clock } from './clock.js';
import type { AuditAction, CloseAction, SendAction } from './engine-types.js';
import type { WireErrorCode } from './errors.js';
import type { X25519KeyPair } from './key-schedule.js';
import type { ParsedHello, Request, Role } from './message-types.js';
import type { RequestFault } from './request-messages.js';
import type { ErrorResponseOptions } from './server-messages.js';

export interface ServerSessionOptions {
  clock: Pick<Clock, 'now'>;
  idleTimeoutSec: number;
  handshakeTimeoutMs?: number;
  maxAmountCents?: number;
  /** Answer the first frame, whatever it is, with this code and close (§1.1 TERMINAL_REFUSED). */
  refuseFirstFrame?: WireErrorCode;
  /** For tests and vectors: the ephemeral key pair and the random bytes (nonce, then session id). */
  keyPair?: () => X25519KeyPair;
  random?: (bytes: number) => Uint8Array;
}

/** What the driver's password check concluded (admission, rate limits, lockout and role rules included). */
export type CredentialsOutcome =
  | { ok: true; user: string; role?: Role }
  | { ok: false; code: WireErrorCode; message?: string; retryAfterMs?: number };

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
  /** A malformed request, already answered INVALID_REQUEST / INVALID_AMOUNT in its turn (for metrics and audit). */
  | { type: 'refused'; ticket: number; fault: RequestFault };
