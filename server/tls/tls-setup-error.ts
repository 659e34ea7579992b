export type TlsSetupErrorCode = 'TLS_FILES_INCOMPLETE' | 'TLS_CERT_INVALID';

/** The data dir's TLS files cannot be used or repaired without an operator. */
export class TlsSetupError extends Error {
  readonly code: TlsSetupErrorCode;

  constructor(code: TlsSetupErrorCode, message: string) {
    super(message);
    this.name = 'TlsSetupError';
    this.code = code;
  }
}
