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
  | 'update-contact'
  | 'two-factor'
  | 'serve'
  | 'open-account'
  | 'release'
  | 'logout';

/** What the main menu needs to know about the session it serves. */
export interface MenuContext {
  /** Two-factor login is on for the account. */
  twoFactor: boolean;
  /** No terminal certificate: cash cannot move in this session (protocol/README.md §5.1). */
  remote: boolean;
  /** A teller session (protocol/README.md §5.2), and the customer it serves (null: no one yet). */
  teller?: { customer: string | null } | undefined;
}

const CONTACT_ITEM: MenuItem<MainAction> = { action: 'update-contact', label: 'Update e-mail and phone' };
const LOGOUT_ITEM: MenuItem<MainAction> = { action: 'logout', label: 'Log out' };

/** The main menu for a session: a remote one offers only what it may do. */
export function mainMenu(context: MenuContext): MenuItem<MainAction>[] {
  if (context.teller !== undefined) {
    return context.teller.customer === null ? tellerMenu(context) : servingMenu(context);
  }
  return [
    ...moneyItems(context),
    { action: 'change-password', label: 'Change password' },
    CONTACT_ITEM,
    { action: 'two-factor', label: context.twoFactor ? 'Two-factor login: on' : 'Set up two-factor login' },
    LOGOUT_ITEM,
  ];
}

/** A teller serving no one: only their own account's settings, and the counter's two jobs. */
function tellerMenu(context: MenuContext): MenuItem<MainAction>[] {
  return [
    { action: 'serve', label: 'Serve a customer' },
    { action: 'open-account', label: 'Open an account for a customer' },
    { action: 'change-password', label: 'Change my password' },
    { action: 'two-factor', label: context.twoFactor ? 'My two-factor login: on' : 'Set up my two-factor login' },
    LOGOUT_ITEM,
  ];
}

/**
 * Serving a customer: the customer's menu. Password and two-factor changes always apply to the
 * teller's own account (§5.2), so they are not offered for the customer.
 */
function servingMenu(context: MenuContext): MenuItem<MainAction>[] {
  return [...moneyItems(context), CONTACT_ITEM, { action: 'release', label: 'Finish with this customer' }, LOGOUT_ITEM];
}

/** What a customer's money can do in this session: cash only where there is a terminal. */
function moneyItems(context: MenuContext): MenuItem<MainAction>[] {
  return [
    { action: 'balance', label: 'Balance' },
    ...(context.remote
      ? []
      : [{ action: 'withdraw', label: 'Withdraw cash' } as const, { action: 'deposit', label: 'Deposit' } as const]),
    { action: 'transfer', label: 'Transfer' },
    { action: 'history', label: 'Mini-statement' },
  ];
}

/** The banner every screen shows while a teller serves a customer (DESIGN.md "Tellers"). */
export function servingBanner(customer: string, teller: string): string {
  return `Serving ${customer} · teller ${teller}`;
}

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
