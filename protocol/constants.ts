/**
 * Wire constants of secure-atm/1. Each one carries the rule from protocol/README.md it encodes.
 */

/** The protocol identifier carried in `hello` and `welcome`; anything else is UNSUPPORTED_PROTOCOL. */
export const PROTOCOL_ID = 'secure-atm/1';

/** A frame is `u32be(N) || payload`: the length prefix is 4 bytes. */
export const FRAME_HEADER_BYTES = 4;

/** A payload may not exceed 65536 bytes; a larger length is a broken connection, never buffered. */
export const MAX_FRAME_BYTES = 65_536;

/** A payload may not be empty: a length of 0 is a broken connection. */
export const MIN_FRAME_BYTES = 1;

/** Nonces in hello and welcome are 32 random bytes. */
export const NONCE_BYTES = 32;

/** X25519 public and secret keys are 32 bytes. */
export const X25519_KEY_BYTES = 32;

/** The session id in welcome is 16 random bytes. */
export const SESSION_ID_BYTES = 16;

/** HKDF produces 128 bytes: c2s.enc, c2s.mac, s2c.enc, s2c.mac, 32 bytes each. */
export const OKM_BYTES = 128;

/** Each derived key (AES-256 and HMAC-SHA256) is 32 bytes. */
export const KEY_BYTES = 32;

/** The HKDF info string; the transcript hash follows it. */
export const HKDF_INFO_LABEL = 'secure-atm/1 keys';

/** The MAC input starts with this ASCII label. */
export const MAC_LABEL = 'secure-atm/1';

/** An HMAC-SHA256 tag is 32 bytes. */
export const MAC_BYTES = 32;

/** The direction byte in the MAC input for client-to-server frames. */
export const DIR_C2S = 0x01;

/** The direction byte in the MAC input for server-to-client frames. */
export const DIR_S2C = 0x02;

/** Sequence numbers never wrap: the last frame of a session carries 2^32 − 1. */
export const MAX_SEQ = 0xffff_ffff;

/** A client may send up to 32 requests before reading responses. */
export const MAX_PIPELINED_REQUESTS = 32;

/** The handshake (accept to welcome sent) must finish within 10 s. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Request ids: 1–64 chars of [A-Za-z0-9_-]. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** User names: 3–32 chars of [a-z0-9_.-], starting with a letter. */
export const USER_PATTERN = /^[a-z][a-z0-9_.-]{2,31}$/;

/** Terminal ids: 1–32 chars of [A-Za-z0-9_-]. */
export const TERMINAL_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Transaction ids as the server issues them: `T` and 12 digits. */
export const TX_ID_PATTERN = /^T[0-9]{12}$/;

/** TOTP codes are 6 digits. */
export const TOTP_CODE_PATTERN = /^[0-9]{6}$/;

/** History pages hold 1–100 entries, 20 when not asked. */
export const HISTORY_LIMIT_MAX = 100;
export const HISTORY_LIMIT_DEFAULT = 20;

/** A login password is 1–1024 characters; longer is a malformed hello, not a wrong password. */
export const MAX_PASSWORD_CHARS = 1024;

/** New passwords: at least 12 chars with upper, lower, digit and symbol, at most 72 UTF-8 bytes (bcrypt's limit). */
export const MIN_NEW_PASSWORD_CHARS = 12;
export const MAX_NEW_PASSWORD_BYTES = 72;

/** Contact fields at rest: e-mail up to 254 chars, phone up to 20. */
export const MAX_EMAIL_CHARS = 254;
export const MAX_PHONE_CHARS = 20;

/** Amounts are integer cents; the server's per-request maximum defaults to 100,000,000 (1,000,000.00). */
export const DEFAULT_MAX_AMOUNT_CENTS = 100_000_000;

/** Reasons a withdrawal may be reversed. */
export const REVERSAL_REASONS = ['NOT_DISPENSED', 'TIMEOUT', 'CUSTOMER_CANCELLED'] as const;

/** Kinds of history entry (§5), in the order protocol/README.md lists them. */
export const HISTORY_KINDS = ['deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'reversal'] as const;

/** Notices the server sends before it closes a session. */
export const NOTICE_KINDS = ['SESSION_EXPIRED', 'SERVER_SHUTDOWN'] as const;

/** Ops whose effects are applied at most once per (account, id). */
export const IDEMPOTENT_OPS = [
  'deposit',
  'withdraw',
  'transfer',
  'reverse',
  'change_password',
  'update_contact',
  'totp_confirm',
  'totp_disable',
  'open_account',
] as const;

/** Every op a request may name. */
export const OPS = [
  'balance',
  'deposit',
  'withdraw',
  'transfer',
  'reverse',
  'history',
  'change_password',
  'update_contact',
  'totp_enroll',
  'totp_confirm',
  'totp_disable',
  'logout',
  'ping',
  'serve',
  'release',
  'open_account',
] as const;

/** Ops only a teller session may send (§5.2); a customer sending one gets INVALID_REQUEST. */
export const TELLER_OPS = ['serve', 'release', 'open_account'] as const;

/** Ops a teller session answers for the teller's own account, serving a customer or not (§5.2). */
export const TELLER_OWN_OPS = [
  'ping',
  'logout',
  'change_password',
  'totp_enroll',
  'totp_confirm',
  'totp_disable',
] as const;

/** Account roles (§5.2): `welcome.role`. */
export const ROLES = ['customer', 'teller'] as const;
