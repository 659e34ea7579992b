/**
 * How an action ends the program with a non-zero code. A UsageError is the user's mistake
 * (exit 2) and prints its one line; an OperationFailed has already printed its line
 * (exit 1: the bank said no, or could not be reached).
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  override readonly name = 'UsageError';
}

export class OperationFailed extends Error {
  readonly exitCode: number;
  override readonly name = 'OperationFailed';

  constructor(exitCode = 1) {
    super('operation failed');
    this.exitCode = exitCode;
  }
}
