/**
 * A data dir that cannot be used as it is: locked by a running server, a file the manifest
 * names is missing, a newer format. `code` is stable; the message says what to do.
 */
export class SetupError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'SetupError';
    this.code = code;
  }
}
