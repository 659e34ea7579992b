/**
 * The server's one error class and its table of stable codes: what its own parts (the
 * password hasher, the data key, the TLS files) refuse. These codes never travel on the
 * wire (protocol/errors.ts holds those); the operator CLI prints `code: message` on one line.
 */
export const SERVER_ERRORS = {
  HASHER_CLOSED: 'password hasher is closed',
  HASHER_FAILED: 'password hashing failed',
  HASH_INVALID: 'stored password hash is malformed',
  DATA_KEY_INVALID: 'the data key file is not a data key (one line of base64 holding 32 bytes)',
  DATA_KEY_MISSING: 'the data key is missing; restore it from backup',
  TLS_FILES_INCOMPLETE: 'the TLS files are incomplete; restore them or move the tls directory aside',
  TLS_CERT_INVALID: 'a TLS certificate or key is damaged, expired or does not match',
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERRORS;

/** A stable `code` and a message meant for people (never a secret). */
export class ServerError<C extends ServerErrorCode = ServerErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message?: string, options?: { cause?: unknown }) {
    super(message ?? SERVER_ERRORS[code], options);
    this.name = 'ServerError';
    this.code = code;
  }
}
