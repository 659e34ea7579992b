import type { BankSession } from '../../client/types.js';
import type { Clock } from '../clock.js';
import type { UiError } from '../error-text.js';
import type { Route } from '../navigation.js';

/** How a screen moves the ATM on; the App turns these into navigation actions. */
export interface Nav {
  go: (route: Route) => void;
  back: () => void;
  /** Shows the error screen; Esc/Enter there leads to `back` (default: this screen again). */
  fail: (error: UiError, back?: Route) => void;
}

/** A login or registration succeeded: the App takes the session over. */
export type OnSignedIn = (session: BankSession, how: { banner?: string; twoFactor: boolean }) => void;

export interface SessionScreenProps {
  session: BankSession;
  nav: Nav;
  clock: Clock;
}

export const MENU_ROUTE: Route = { screen: 'menu' };
