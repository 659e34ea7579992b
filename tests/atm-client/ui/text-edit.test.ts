import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyKey,
  displayValue,
  type FieldSpec,
  type FormKey,
  initialForm,
  isDigit,
  isPrintable,
  isUserChar,
} from '../../../atm-client/ui/text-edit.js';

const NO_KEY: FormKey = {
  return: false,
  escape: false,
  tab: false,
  shift: false,
  ctrl: false,
  meta: false,
  backspace: false,
  delete: false,
  upArrow: false,
  downArrow: false,
};
const key = (overrides: Partial<FormKey>): FormKey => ({ ...NO_KEY, ...overrides });

const FIELDS: readonly FieldSpec[] = [
  { name: 'user', label: 'User', accept: isUserChar, normalise: (c) => c.toLowerCase(), maxLength: 5 },
  { name: 'code', label: 'Code', accept: isDigit, maxLength: 6 },
  { name: 'password', label: 'Password', mask: true, accept: isPrintable, maxLength: 100 },
];

describe('applyKey', () => {
  it('types into the focused field, filtered, normalised and bounded', () => {
    let state = initialForm(FIELDS);
    state = applyKey(FIELDS, state, 'AL!ic', NO_KEY).state;
    expect(state.values.user).toBe('alic');
    state = applyKey(FIELDS, state, 'eeee', NO_KEY).state;
    expect(state.values.user).toBe('alice');
  });

  it('Enter moves on and submits on the last field; Esc cancels', () => {
    let state = initialForm(FIELDS);
    let step = applyKey(FIELDS, state, '', key({ return: true }));
    expect(step).toEqual({ state: { ...state, focus: 1 }, event: 'none' });
    state = applyKey(FIELDS, step.state, '', key({ tab: true })).state;
    expect(state.focus).toBe(2);
    step = applyKey(FIELDS, state, '', key({ return: true }));
    expect(step.event).toBe('submit');
    expect(applyKey(FIELDS, state, '', key({ escape: true })).event).toBe('cancel');
  });

  it('Tab goes round the fields in both directions', () => {
    let state = { ...initialForm(FIELDS), focus: 2 };
    state = applyKey(FIELDS, state, '', key({ tab: true })).state;
    expect(state.focus).toBe(0);
    state = applyKey(FIELDS, state, '', key({ tab: true, shift: true })).state;
    expect(state.focus).toBe(2);
  });

  it('Tab and arrows move focus without leaving the form', () => {
    let state = initialForm(FIELDS);
    state = applyKey(FIELDS, state, '', key({ upArrow: true })).state;
    expect(state.focus).toBe(0);
    for (let i = 0; i < 5; i++) state = applyKey(FIELDS, state, '', key({ downArrow: true })).state;
    expect(state.focus).toBe(2);
    state = applyKey(FIELDS, state, '', key({ tab: true, shift: true })).state;
    expect(state.focus).toBe(1);
  });

  it('backspace removes one character (a whole emoji too)', () => {
    let state = { ...initialForm(FIELDS), focus: 2 };
    state = applyKey(FIELDS, state, 'ab😀', NO_KEY).state;
    state = applyKey(FIELDS, state, '', key({ backspace: true })).state;
    expect(state.values.password).toBe('ab');
    state = applyKey(FIELDS, state, '', key({ delete: true })).state;
    expect(state.values.password).toBe('a');
  });

  it('ignores control combinations and control characters', () => {
    const state = { ...initialForm(FIELDS), focus: 2 };
    expect(applyKey(FIELDS, state, 'c', key({ ctrl: true })).state).toBe(state);
    expect(applyKey(FIELDS, state, '\u0007', NO_KEY).state.values.password).toBe('');
  });

  it('never lets a field exceed its length or hold a refused character', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 20 }), (chunks) => {
        let state = { ...initialForm(FIELDS), focus: 1 };
        for (const chunk of chunks) state = applyKey(FIELDS, state, chunk, NO_KEY).state;
        const code = state.values.code ?? '';
        expect(code.length).toBeLessThanOrEqual(6);
        expect(code).toMatch(/^[0-9]*$/);
      }),
    );
  });

  it('masks password fields one bullet per character', () => {
    expect(displayValue(FIELDS[2] as FieldSpec, 'pa😀')).toBe('•••');
    expect(displayValue(FIELDS[0] as FieldSpec, 'alice')).toBe('alice');
  });
});
