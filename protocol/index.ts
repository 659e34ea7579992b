/**
 * secure-atm/1 as pure code: what the server, the audit tools and the ATM client use.
 * The frame codec, every message's encoder and parser, the result table, the key schedule,
 * the sealed channel, the client and server engines (sans-IO), the error table and the
 * wire constants. No sockets, files, timers or logging live here.
 *
 * Everything is named here on purpose (no `export *`): a module's helpers stay its own.
 * @packageDocumentation
 */

// ---------------------------------------------------------------------------------------
// Constants and errors
// ---------------------------------------------------------------------------------------

/** Wire constants, each with its rule from protocol/README.md. */
export {
  DEFAULT_MAX_AMOUNT_CENTS,
  HANDSHAKE_TIMEOUT_MS,
  HISTORY_KINDS,
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  IDEMPOTENT_OPS,
  MAX_EMAIL_CHARS,
  MAX_FRAME_BYTES,
  MAX_NEW_PASSWORD_BYTES,
  MAX_PASSWORD_CHARS,
  MAX_PHONE_CHARS,
  MAX_PIPELINED_REQUESTS,
  MAX_SEQ,
  MIN_NEW_PASSWORD_CHARS,
  NONCE_BYTES,
  NOTICE_KINDS,
  OPS,
  PROTOCOL_ID,
  REQUEST_ID_PATTERN,
  REVERSAL_REASONS,
  ROLES,
  SESSION_ID_BYTES,
  TELLER_OPS,
  TELLER_OWN_OPS,
  TERMINAL_PATTERN,
  TOTP_CODE_PATTERN,
  TX_ID_PATTERN,
  USER_PATTERN,
} from './constants.js';
/** The error table (stable codes), the base error, refusals and outcome values. */
export {
  ERROR_MESSAGES,
  type ErrorCode,
  fail,
  INTERNAL_ERRORS,
  type InternalErrorCode,
  isWireErrorCode,
  ok,
  ProtocolError,
  type Refusal,
  type Result,
  refusal,
  WIRE_ERRORS,
  type WireErrorCode,
} from './errors.js';

// ---------------------------------------------------------------------------------------
// Codec: frames and messages
// ---------------------------------------------------------------------------------------

/** Standard padded base64, with a strict canonical decoder. */
export { fromB64, toB64 } from './base64.js';
/** Length-prefixed framing: `encodeFrame` and the incremental `FrameDecoder`. */
export { encodeFrame, type FrameDecodeResult, FrameDecoder } from './frame.js';
/** hello, welcome and error frames (§2): encoders return the exact payload bytes. */
export {
  type ErrorFrameOptions,
  encodeErrorFrame,
  encodeHello,
  encodeWelcome,
  type HandshakeReply,
  type HelloFields,
  parseHandshakeReply,
  parseHello,
  parseWelcome,
  type WelcomeFields,
} from './handshake-messages.js';
/** Strict JSON-object parsing and the cents check, for callers that read their own inputs. */
export { isValidAmount, parseJsonObject } from './json-fields.js';
/** The shapes of every message. */
export type {
  AuthMethod,
  ErrorFrame,
  HelloAuth,
  HelloMessage,
  HistoryEntry,
  HistoryKind,
  Notice,
  NoticeKind,
  Op,
  OpResult,
  ParsedHello,
  ParsedWelcome,
  Request,
  RequestBody,
  RequestOf,
  Response,
  ResultMap,
  ReversalReason,
  Role,
  ServerMessage,
  WelcomeMessage,
  WireError,
  WireErrorDetails,
} from './message-types.js';
/** Requests (§5): the op table, the parser (refusals as values) and the encoder. */
export {
  canonicalRequestParams,
  encodeRequest,
  historyLimit,
  OP_SPECS,
  parseRequest,
  type RequestFault,
  type RequestLimits,
} from './request-messages.js';
/** One table of what each op's result must hold, for both sides. */
export { isValidResult, RESULT_CHECKS } from './result-checks.js';
/** Responses and notices (§5, §6). */
export {
  type ErrorResponseOptions,
  encodeErrorResponse,
  encodeNotice,
  encodeOkResponse,
  parseServerMessage,
} from './server-messages.js';

// ---------------------------------------------------------------------------------------
// Keys and the sealed channel
// ---------------------------------------------------------------------------------------

/** Handshake and key schedule (§3). */
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
/** Sealed frames (§4). */
export {
  type ChannelRole,
  type Direction,
  FrameOpener,
  FrameSealer,
  parseEnvelope,
  SealedChannel,
  type SealedEnvelope,
} from './sealed-channel.js';

// ---------------------------------------------------------------------------------------
// Engines (sans-IO)
// ---------------------------------------------------------------------------------------

/** What an INVALID_AMOUNT request still tells about itself (its op, its amount, the maximum). */
export { type AmountFault, describeAmountFault } from './amount-fault.js';
/** The client's handshake as a state machine. */
export {
  CLIENT_HANDSHAKE_TRANSITIONS,
  ClientHandshake,
  type ClientHandshakeAction,
  type ClientHandshakeParams,
  type ClientHandshakeState,
  type HandshakeFailure,
} from './client-handshake.js';
/** The one Clock type; engines read `now()` only. */
export type { Clock } from './clock.js';
/** Actions every engine returns. */
export type { AuditAction, CloseAction, EngineAuditKind, SendAction } from './engine-types.js';
/** One server connection as a state machine: handshake, early frames, ordered answers, timeouts. */
export {
  MAX_EARLY_FRAMES,
  MAX_QUEUED_OUTPUT_BYTES,
  SERVER_SESSION_TRANSITIONS,
  ServerSessionEngine,
  type ServerSessionState,
} from './server-session-engine.js';
export { helloTerminalProblem, type TerminalCertificate } from './server-session-hello.js';
export type {
  CredentialsOutcome,
  ServerSessionAction,
  ServerSessionOptions,
  SessionAnswer,
} from './server-session-types.js';

// ---------------------------------------------------------------------------------------
// Policy shared by both ends
// ---------------------------------------------------------------------------------------

/** Integer cents as text: the one formatter every program uses. */
export { centsToDecimal, type FormatCentsOptions, formatCents } from './money.js';
/** Password policy for new passwords. */
export { isStrongPassword, type PasswordProblem, passwordProblems } from './password-policy.js';
/** The package version `--version` prints. */
export { PACKAGE_VERSION } from './version.js';
