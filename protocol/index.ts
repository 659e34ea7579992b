/**
 * secure-atm/1 as pure code: frame codec, message validation, key schedule, sealed
 * channel and the error table. No sockets, files, timers or logging live here.
 * @packageDocumentation
 */

/** Standard padded base64, with a strict canonical decoder. */
export { fromB64, toB64 } from './base64.js';
/** Wire constants, each with its rule. */
export * from './constants.js';
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
/** Message types and validation (PROTOCOL.md §2, §5). */
export * from './messages.js';
/** Password policy for new passwords. */
export { isStrongPassword, type PasswordProblem, passwordProblems } from './password-policy.js';
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
/** The package version `--version` prints. */
export { PACKAGE_VERSION } from './version.js';
