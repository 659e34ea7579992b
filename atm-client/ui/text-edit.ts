/**
 * Small forms with masked fields, as a pure key → state function so that editing rules
 * are tested without a terminal. Enter moves to the next field and submits on the last;
 * Tab and Shift+Tab move between fields round and round, ↓ and ↑ up to the ends; Esc cancels.
 */

export interface FieldSpec {
  name: string;
  label: string;
  /** Show bullets instead of the characters (passwords). */
  mask?: boolean;
  /** Which single characters the field takes; others are dropped. */
  accept: (char: string) => boolean;
  maxLength: number;
  /** Normalises each typed character (e.g. user names are lower case). */
  normalise?: (char: string) => string;
}

export interface FormState {
  values: Record<string, string>;
  focus: number;
}

/** The parts of Ink's Key a form reads. */
export interface FormKey {
  return: boolean;
  escape: boolean;
  tab: boolean;
  shift: boolean;
  ctrl: boolean;
  meta: boolean;
  backspace: boolean;
  delete: boolean;
  upArrow: boolean;
  downArrow: boolean;
}

export type FormEvent = 'none' | 'submit' | 'cancel';

export function initialForm(fields: readonly FieldSpec[], values: Record<string, string> = {}): FormState {
  const all: Record<string, string> = {};
  for (const field of fields) all[field.name] = values[field.name] ?? '';
  return { values: all, focus: 0 };
}

export function applyKey(
  fields: readonly FieldSpec[],
  state: FormState,
  input: string,
  key: FormKey,
): { state: FormState; event: FormEvent } {
  const last = fields.length - 1;
  if (key.escape) return { state, event: 'cancel' };
  if (key.return) {
    return state.focus >= last
      ? { state, event: 'submit' }
      : { state: { ...state, focus: state.focus + 1 }, event: 'none' };
  }
  // Tab goes round (after the last field comes the first); the arrows stop at the ends.
  if (key.tab && key.shift)
    return { state: { ...state, focus: state.focus <= 0 ? last : state.focus - 1 }, event: 'none' };
  if (key.tab) return { state: { ...state, focus: state.focus >= last ? 0 : state.focus + 1 }, event: 'none' };
  if (key.upArrow) return { state: { ...state, focus: Math.max(0, state.focus - 1) }, event: 'none' };
  if (key.downArrow) return { state: { ...state, focus: Math.min(last, state.focus + 1) }, event: 'none' };
  const field = fields[state.focus];
  if (!field) return { state, event: 'none' };
  const current = state.values[field.name] ?? '';
  if (key.backspace || key.delete) {
    return { state: withValue(state, field.name, [...current].slice(0, -1).join('')), event: 'none' };
  }
  if (key.ctrl || key.meta || input === '') return { state, event: 'none' };
  let next = current;
  for (const raw of input) {
    const char = field.normalise ? field.normalise(raw) : raw;
    if (!field.accept(char)) continue;
    if ([...next].length >= field.maxLength) break;
    next += char;
  }
  return { state: withValue(state, field.name, next), event: 'none' };
}

function withValue(state: FormState, name: string, value: string): FormState {
  return { ...state, values: { ...state.values, [name]: value } };
}

/** What a field shows: the value, or one bullet per character when masked. */
export function displayValue(field: FieldSpec, value: string): string {
  return field.mask ? '•'.repeat([...value].length) : value;
}

/** Printable characters other than control codes (passwords take anything else). */
export function isPrintable(char: string): boolean {
  return char.length > 0 && !/\p{Cc}/u.test(char);
}

export function isDigit(char: string): boolean {
  return /^[0-9]$/.test(char);
}

export function isUserChar(char: string): boolean {
  return /^[a-z0-9_.-]$/.test(char);
}
