/**
 * Tamper-evident audit logs for secure-atm: a plaintext JSONL log (pino) for people and
 * tools, and encrypted, hash-chained, signed segments that only the auditor can read and
 * nobody can silently edit; plus the readers behind `bank-audit` (decrypt, verify, tail).
 *
 * Files under `<data-dir>/audit` (see DESIGN.md):
 * - `audit.log`: one pino JSON line per event (`level` plus the event's fields), 0600.
 * - `segments/<start-time>-<n>.enc`: one per server run and per size bound; the format
 *   (header, records, checkpoints, close record, and exactly what is hashed and signed) is
 *   documented in `segment/segment-format.ts`.
 *
 * Key files (text: optional `#` comment lines, then one line `<type>:<base64>`):
 * - `auditor-public-x25519:<32 bytes>`: the auditor's nacl.box public key (`auditor.pub`, `--auditor-key`).
 * - `auditor-secret-x25519:<32 bytes>`: the auditor's secret (`bank-audit keygen --out`, 0600).
 * - `audit-signing-ed25519:<64 bytes>`: the server's Ed25519 secret in tweetnacl format
 *   (`keys/audit-signing.key`, 0600).
 * - `audit-signing-ed25519-public:<32 bytes>`: its public half (`keys/audit-signing.pub`), what an
 *   auditor pins (`bank-audit verify --signer`); `signingKeyFingerprint` is what init and start print.
 *
 * Anchoring: `verify` needs a pinned signer; a new key is accepted only through a rotating close
 * signed by the old one; `--state` (state/audit-state.ts) keeps each chain's last signed head, which
 * a later verify must still reach (else ROLLED_BACK); the writer's `head` is what `GET /audit/head`
 * serves and `bank-audit witness` keeps.
 * A bad file is an {@link AuditError} with code AUDIT_KEY_NOT_FOUND, AUDIT_KEY_INVALID or
 * AUDIT_KEY_WRONG_TYPE (e.g. a secret key given where the public key belongs).
 *
 * Events: fields with null/undefined values are left out of both logs; keys of `detail`
 * that name secrets (password, current, new, totp, otp, secret, key, token, pin...) are
 * replaced with "[REDACTED]" at any depth, and so are otpauth:// URIs and PEM private keys
 * anywhere. The top-level `code` (a protocol error code) is kept.
 * @packageDocumentation
 */

/**
 * What a command-line program's commands share (bank-audit's, and bank-server's too): where a
 * command writes, the expected way to fail, and commander's whole-number option parser.
 */
export { CliError, type CliIo, integerOption, processIo } from './cli/cli-io.js';
/** Stable error codes of this package. */
export { AUDIT_ERRORS, AuditError, type AuditErrorCode } from './errors.js';
/** Event types and the normalization/redaction both logs apply. */
export {
  type AuditEvent,
  type AuditEventInput,
  eventJsonAt,
  type NormalizedEventJson,
  normalizeAuditEvent,
  normalizedEventJson,
  withDetailNumber,
} from './events/audit-event.js';
export { isSecretKeyName, REDACTED, redactDetail } from './events/redact.js';
/** Replacing a file atomically (temp file, fsync, rename) and making the rename durable. */
export { type ReplaceFileHooks, replaceFileAtomic, syncDir } from './files/replace-file.js';
export { signingKeyFingerprint } from './keys/fingerprint.js';
/** Key files: auditor pairs for `keygen`, the server's keys under `<data-dir>/keys`. */
export {
  auditorPublicKeyOf,
  generateAuditorKeyPair,
  KEY_FILE_TYPES,
  readAuditorPublicKey,
  readAuditorSecretKey,
  writeAuditorKeyPair,
} from './keys/key-files.js';
export {
  AUDIT_KEY_FILES,
  type AuditKeys,
  commitSigningKeyRotation,
  prepareAuditKeys,
  requestSigningKeyRotation,
} from './keys/prepare-audit-keys.js';
/** Readers: decrypt and verify segments (the `bank-audit` commands use these). */
export { decryptAll, decryptSegments } from './reader/decrypt-segments.js';
export { expandSegmentArgs } from './reader/segment-paths.js';
export { type VerifyOptions, verifySegments } from './reader/verify-segments.js';
export type { SegmentSummary, VerifyProblem, VerifyReason, VerifyReport } from './reader/verify-types.js';
/** The segment format id written in every header. */
export { SEGMENT_FORMAT } from './segment/segment-format.js';
/** The auditor's state file (`--state`): pinned signers and last verified signed heads. */
export {
  type AuditState,
  type ChainState,
  emptyState,
  readAuditState,
  type StateHead,
  writeAuditState,
} from './state/audit-state.js';
/** Writers: the real dual log, and sinks for tests and for audit-off runs. */
export {
  type AuditHead,
  type AuditLog,
  type AuditLogOptions,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_MAX_SEGMENT_BYTES,
  openAuditLog,
} from './writer/audit-log.js';
export { type AuditSink, createNullAudit, recordNormalized } from './writer/audit-sink.js';
export { createMemoryAudit } from './writer/memory-audit.js';
