/**
 * secure-atm/1 as pure code: frame codec, message validation, key schedule, sealed
 * channel and the error table. No sockets, files, timers or logging live here.
 * @packageDocumentation
 */

/** Standard padded base64, with a strict canonical decoder. */
export { fromB64, toB64 } from './base64.js';
export {
  CLIENT_HANDSHAKE_TRANSITIONS,
  ClientHandshake,
  type ClientHandshakeAction,
  type ClientHandshakeParams,
  type ClientHandshakeState,
  type HandshakeFailure,
} from './client-handshake.js';
export type { Clock } from './clock.js';
/** Wire constants, each with its rule. */
export * from './constants.js';
export type { AuditAction, CloseAction, EngineAuditKind, SendAction } from './engine-types.js';
/** The error table, the base error and outcome values. */
export {
  ERROR_MESSAGES,
  type ErrorCode,
  fail,
  INTERNAL_ERRORS,
  type InternalErrorCode,
  isWireErrorCode,
  ok,
  ProtocolError,
  type Result,
  WIRE_ERRORS,
  type WireErrorCode,
} from './errors.js';
/** Length-prefixed framing: `encodeFrame` and the incremental `FrameDecoder`. */
export { encodeFrame, type FrameDecodeResult, FrameDecoder } from './frame.js';
export * from './handshake-messages.js';
export { isValidAmount, parseJsonObject } from './json-fields.js';
/** Handshake and key schedule (PROTOCOL.md §3). */
export {
  completeKeyExchange,
  deriveSessionKeys,
  generateX25519KeyPair,
  type KeyScheduleInput,
  type SessionKeys,
  transcriptHash,
  wipeSessionKeys,
  type X25519KeyPair,
  x25519,
  x25519PublicKey,
} from './key-schedule.js';
export * from './message-types.js';
/** Password policy for new passwords. */
export { isStrongPassword, type PasswordProblem, passwordProblems } from './password-policy.js';
export * from './request-messages.js';
export * from './result-checks.js';
/** Sealed frames (PROTOCOL.md §4). */
export {
  type ChannelRole,
  type Direction,
  FrameOpener,
  FrameSealer,
  parseEnvelope,
  SealedChannel,
  type SealedEnvelope,
} from './sealed-channel.js';
export * from './server-messages.js';
export {
  MAX_EARLY_FRAMES,
  SERVER_SESSION_TRANSITIONS,
  ServerSessionEngine,
  type ServerSessionState,
} from './server-session-engine.js';
export type {
  CredentialsOutcome,
  ServerSessionAction,
  ServerSessionOptions,
  SessionAnswer,
} from './server-session-types.js';
