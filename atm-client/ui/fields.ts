import { isStrongPassword } from '../../protocol/index.js';
import { type FieldSpec, isDigit, isPrintable, isUserChar } from './text-edit.js';

/** Form fields more than one screen uses. */

/**
 * User names take any character as typed (capitals become small letters, which is the same
 * name), so that a space or a symbol is refused with a reason instead of vanishing.
 */
export const USER_FIELD: FieldSpec = {
  name: 'user',
  label: 'User name',
  accept: isPrintable,
  normalise: (char) => char.toLowerCase(),
  // Longer than a name may be, so that an over-long one is said, not cut.
  maxLength: 40,
};

/** Why `name` is not a user name, in one short line; null when it is one. */
export function userNameProblem(name: string): string | null {
  if (name === '') return 'Enter a user name.';
  if (/\s/.test(name)) return 'A user name has no spaces: use . _ or - instead.';
  const odd = [...name].find((char) => !isUserChar(char));
  if (odd !== undefined) return `A user name cannot contain "${odd}": only a–z, 0–9, . _ and -.`;
  if (name.length < 3 || name.length > 32) return `That user name is ${name.length} characters long: 3–32 are needed.`;
  if (!/^[a-z]/.test(name)) return 'A user name starts with a letter (a–z).';
  return null;
}

/** A new account's form: user name, a password and the same again, under the given labels. */
export function newAccountFields(passwordLabel: string, confirmLabel: string): readonly FieldSpec[] {
  return [
    USER_FIELD,
    { name: 'password', label: passwordLabel, mask: true, accept: isPrintable, maxLength: 72 },
    { name: 'confirm', label: confirmLabel, mask: true, accept: isPrintable, maxLength: 72 },
  ];
}

/** Why a new account's user name and password are refused before the bank is asked; null when they may go. */
export function newAccountProblem(values: { user?: string; password?: string; confirm?: string }): string | null {
  const { user = '', password = '', confirm = '' } = values;
  const wrongName = userNameProblem(user);
  if (wrongName) return wrongName;
  if (!isStrongPassword(password)) return 'The password does not meet every rule above.';
  if (password !== confirm) return 'The two passwords are different.';
  return null;
}

export const CODE_FIELDS: readonly FieldSpec[] = [{ name: 'code', label: 'Code', accept: isDigit, maxLength: 6 }];

export const PASSWORD_FIELD: FieldSpec = {
  name: 'password',
  label: 'Password',
  mask: true,
  accept: isPrintable,
  maxLength: 1024,
};
