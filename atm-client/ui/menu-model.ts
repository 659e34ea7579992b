/**
 * What each menu holds and how a selection moves, as data and plain functions. Number
 * keys choose directly; arrows move a highlight that wraps around.
 */

export interface MenuItem<A extends string> {
  action: A;
  label: string;
}

export type MainAction =
  | 'balance'
  | 'withdraw'
  | 'deposit'
  | 'transfer'
  | 'history'
  | 'change-password'
  | 'totp-enrol'
  | 'logout';

export const MAIN_MENU: readonly MenuItem<MainAction>[] = [
  { action: 'balance', label: 'Balance' },
  { action: 'withdraw', label: 'Withdraw cash' },
  { action: 'deposit', label: 'Deposit' },
  { action: 'transfer', label: 'Transfer' },
  { action: 'history', label: 'Mini-statement' },
  { action: 'change-password', label: 'Change password' },
  { action: 'totp-enrol', label: 'Set up two-factor login' },
  { action: 'logout', label: 'Log out' },
];

export type WelcomeAction = 'login' | 'register' | 'quit';

export const WELCOME_MENU: readonly MenuItem<WelcomeAction>[] = [
  { action: 'login', label: 'Log in' },
  { action: 'register', label: 'Open an account' },
  { action: 'quit', label: 'Quit' },
];

/** Quick withdrawal amounts, in cents. */
export const QUICK_AMOUNTS_CENTS: readonly number[] = [2000, 4000, 6000, 10000, 20000];

/** Moves a highlight by `delta`, wrapping at both ends. */
export function moveSelection(index: number, delta: number, length: number): number {
  if (length <= 0) return 0;
  return (((index + delta) % length) + length) % length;
}

/** The item a number key picks ("1" is the first), or null. */
export function indexForKey(input: string, length: number): number | null {
  if (!/^[1-9]$/.test(input)) return null;
  const index = Number(input) - 1;
  return index < length ? index : null;
}
