import type { Key } from 'ink';

/**
 * Ink hands a chunk of several characters to input handlers as one "paste". Over a pty,
 * keys typed or scripted quickly arrive that way too ("alice\rS3cret!\r"), and the Enter
 * inside would be lost. The ATM splits such a chunk into one keystroke per character.
 */

export interface Keystroke {
  input: string;
  key: Key;
}

export const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** One character as Ink would describe it had it arrived alone. */
function keystrokeOf(char: string): Keystroke {
  switch (char) {
    case '\r':
    case '\n':
      return { input: '', key: { ...NO_KEY, return: true } };
    case '\t':
      return { input: '', key: { ...NO_KEY, tab: true } };
    case '\u007F':
      return { input: '', key: { ...NO_KEY, delete: true } };
    case '\b':
      return { input: '', key: { ...NO_KEY, backspace: true } };
    default:
      return { input: char, key: { ...NO_KEY, shift: /^[A-Z]$/.test(char) } };
  }
}

/**
 * The keystrokes in one input event: the event itself when it is a single key (or an
 * escape sequence Ink already decoded), else one per character.
 */
export function splitKeystrokes(input: string, key: Key): Keystroke[] {
  const chars = [...input];
  if (chars.length <= 1 || key.ctrl || key.meta || key.escape) return [{ input, key }];
  return chars.map(keystrokeOf);
}
