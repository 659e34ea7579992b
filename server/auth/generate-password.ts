import { randomInt } from 'node:crypto';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
/**
 * Symbols that mean nothing to a shell or to an `atm script` line, wherever they stand in an
 * unquoted word: no `!` (history), `#` (comment), quotes, `$`, backslash, backtick, glob or
 * tilde characters. The password starts with a letter, so it never reads as an option.
 */
const SYMBOLS = '%+-.:@_';
const LETTERS = UPPER + LOWER;

/** 20 characters from a CSPRNG (64 symbols, ~120 bits) with every class the policy asks for, shuffled. */
export function generateStrongPassword(length = 20): string {
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const pick = (set: string) => set.charAt(randomInt(set.length));
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(all));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  const firstLetter = chars.findIndex((c) => LETTERS.includes(c));
  [chars[0], chars[firstLetter]] = [chars[firstLetter] as string, chars[0] as string];
  return chars.join('');
}
