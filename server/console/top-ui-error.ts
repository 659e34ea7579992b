/** A reason the live console cannot start, with a stable code for the CLI. */
export class TopUiError extends Error {
  readonly code = 'NOT_A_TERMINAL';
}
