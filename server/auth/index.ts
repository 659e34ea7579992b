/**
 * Authentication for the bank server: bcrypt password hashing off the event loop, the login and
 * registration rules (lockout, TOTP, no account enumeration) and per-address rate limits.
 * Sockets, sessions and audit events live in the listener, which calls into this folder.
 * @packageDocumentation
 */

/** Per-address limits on failed logins and concurrent connections, with an injected clock. */
export { AddressLimiter, FAILED_LOGIN_WINDOW_MS, MAX_TRACKED_ADDRESSES } from './address-limiter.js';
/** Login and registration rules over an {@link AuthAccountStore}. */
export { type AttemptContext, Authenticator, type AuthenticatorDeps } from './authenticator.js';
/** Strong random passwords for accounts an operator (or the demo) creates. */
export { generateStrongPassword } from './generate-password.js';
/** Admission control for password checks: bounded by what can finish before the handshake deadline. */
export {
  ABANDONED,
  type Admission,
  AdmissionTicket,
  estimatedCheckMs,
  LoginAdmission,
  type LoginAdmissionOptions,
  TOO_LATE,
} from './login-admission.js';
/**
 * bcryptjs in a pool of worker threads (`createPasswordHasher({ cost, workers })`); its errors
 * carry `code` HASHER_CLOSED, HASHER_FAILED or HASH_INVALID (a stored hash bcrypt cannot parse).
 */
export {
  createPasswordHasher,
  HasherError,
  type HasherErrorCode,
  MAX_BCRYPT_COST,
  MIN_BCRYPT_COST,
  type PasswordHasher,
} from './password-hasher.js';
/** TOTP enrolment (secret, otpauth:// URI, sealed secret) and replay-safe code checks. */
export { type TotpCheck, TotpService } from './totp-service.js';
/** The account shape and store subset auth needs, the policy, and login outcomes (all of types.ts is public). */
export type * from './types.js';
