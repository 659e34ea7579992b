import { type FieldSpec, isDigit, isPrintable, isUserChar } from './text-edit.js';

/** Form fields more than one screen uses. */

export const USER_FIELD: FieldSpec = {
  name: 'user',
  label: 'User name',
  accept: isUserChar,
  normalise: (char) => char.toLowerCase(),
  maxLength: 32,
};

export const USER_RULE = 'User names are 3–32 characters of a–z, 0–9, . _ - and start with a letter.';

export const CODE_FIELDS: readonly FieldSpec[] = [{ name: 'code', label: 'Code', accept: isDigit, maxLength: 6 }];

export const PASSWORD_FIELD: FieldSpec = {
  name: 'password',
  label: 'Password',
  mask: true,
  accept: isPrintable,
  maxLength: 1024,
};
