import { MAX_NEW_PASSWORD_BYTES, MIN_NEW_PASSWORD_CHARS } from './constants.js';

export type PasswordProblem = 'too_short' | 'too_long' | 'no_upper' | 'no_lower' | 'no_digit' | 'no_symbol';

/**
 * The policy for new passwords (registration and change): ≥ 12 characters with upper,
 * lower, digit and symbol, and ≤ 72 UTF-8 bytes because bcrypt ignores anything past that.
 * Returns every problem so a UI can say all of them at once.
 */
export function passwordProblems(password: string): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  if ([...password].length < MIN_NEW_PASSWORD_CHARS) problems.push('too_short');
  if (Buffer.byteLength(password, 'utf8') > MAX_NEW_PASSWORD_BYTES) problems.push('too_long');
  if (!/\p{Lu}/u.test(password)) problems.push('no_upper');
  if (!/\p{Ll}/u.test(password)) problems.push('no_lower');
  if (!/\p{Nd}/u.test(password)) problems.push('no_digit');
  if (!/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('no_symbol');
  return problems;
}

export function isStrongPassword(password: string): boolean {
  return passwordProblems(password).length === 0;
}
