/**
 * Stable codes for everything the audit package can refuse. Callers (the server, the
 * `bank-audit` CLI) switch on `code`; the message is for people and never holds a secret.
 */
export const AUDIT_ERRORS = {
  AUDIT_KEY_NOT_FOUND: 'key file not found',
  AUDIT_KEY_INVALID: 'key file is not a valid key',
  AUDIT_KEY_WRONG_TYPE: 'key file holds a different kind of key',
  AUDIT_KEY_EXISTS: 'key file already exists',
  AUDIT_KEY_MISMATCH: 'the segment is sealed to a different auditor key',
  AUDIT_SEGMENT_NOT_FOUND: 'segment file not found',
  AUDIT_SEGMENT_INVALID: 'segment file is damaged',
  AUDIT_DECRYPT_FAILED: 'a record cannot be opened with the auditor key',
  AUDIT_WRITE_FAILED: 'the audit log could not be written',
  AUDIT_CLOSED: 'the audit log is closed',
  AUDIT_USAGE: 'invalid arguments',
} as const;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

/** The one error class of this package: a stable `code` and a message meant for people. */
export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? AUDIT_ERRORS[code], options);
    this.name = 'AuditError';
    this.code = code;
  }
}

/** True when `err` is a Node system error with that `code` (ENOENT, EEXIST...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
