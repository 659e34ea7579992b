import { ServerError } from '../server-error.js';

export type TlsSetupErrorCode = 'TLS_FILES_INCOMPLETE' | 'TLS_CERT_INVALID';

/** The data dir's TLS files cannot be used or repaired without an operator: the server's one error class with one of these codes. */
export const TlsSetupError = ServerError<TlsSetupErrorCode>;
export type TlsSetupError = ServerError<TlsSetupErrorCode>;
