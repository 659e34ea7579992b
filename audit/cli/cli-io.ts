import { InvalidArgumentError } from 'commander';

/** Where a command writes; tests pass their own. `signal` stops `tail --follow`. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/**
 * An expected way for a command to end: one line on stderr (unless `printed`, when the
 * command already said what it had to, like verify's verdict) and a non-zero exit.
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
    readonly printed = false,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** commander option parser for whole numbers within bounds. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** commander option parser for a point in time: an ISO date or date-time. */
export function timeOption(value: string): number {
  const text = value.trim();
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time))
    throw new InvalidArgumentError(`expected an ISO date or time like 2025-01-31T12:00Z, got "${value}"`);
  return time;
}

/** Repeatable, comma-separated option values. */
export function listOption(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  ];
}
