import { describeError, type UiError } from './error-text.js';
import type { MainAction } from './menu-model.js';
import type { Receipt } from './receipt.js';

/**
 * Which screen the ATM shows, as a pure reducer. Each route knows where Esc leads, so
 * "back" never needs a history stack; screens with several steps keep their own step.
 */

/** The screens a main-menu choice opens: every menu action but the two that end something. */
export type SessionScreen = Exclude<MainAction, 'release' | 'logout'>;

export type Route =
  | { screen: 'welcome'; banner?: string }
  | { screen: 'login'; user?: string }
  | { screen: 'login-totp'; user: string; password: string }
  | { screen: 'serve-totp'; user: string; password: string }
  | { screen: 'register' }
  | { screen: 'menu'; banner?: string }
  | { screen: SessionScreen }
  | { screen: 'receipt'; receipt: Receipt }
  | { screen: 'done'; title: string; lines: string[] }
  | { screen: 'error'; error: UiError; back: Route }
  | { screen: 'ended'; error: UiError };

export type NavAction =
  | { type: 'go'; route: Route }
  | { type: 'back' }
  | { type: 'fail'; error: UiError; back?: Route }
  | { type: 'session-lost'; error: UiError }
  | { type: 'reset'; banner?: string };

const WELCOME: Route = { screen: 'welcome' };
const MENU: Route = { screen: 'menu' };

/** Where Esc leads from a route. */
export function parentOf(route: Route): Route {
  switch (route.screen) {
    case 'welcome':
    case 'login':
    case 'register':
    case 'ended':
      return WELCOME;
    case 'login-totp':
      return { screen: 'login', user: route.user };
    case 'serve-totp':
      return { screen: 'serve' };
    case 'menu':
      return MENU;
    case 'error':
      return route.back;
    default:
      return MENU;
  }
}

/** Routes that only make sense with a logged-in session. */
export function needsSession(route: Route): boolean {
  switch (route.screen) {
    case 'welcome':
    case 'login':
    case 'login-totp':
    case 'register':
    case 'ended':
      return false;
    case 'error':
      return needsSession(route.back);
    default:
      return true;
  }
}

export function navigate(route: Route, action: NavAction): Route {
  switch (action.type) {
    case 'go':
      return action.route;
    case 'back':
      return parentOf(route);
    case 'fail': {
      // After an error that ends the session there is nothing to go back to but the start.
      const back = describeError(action.error.code).endsSession ? WELCOME : (action.back ?? route);
      return { screen: 'error', error: action.error, back };
    }
    case 'session-lost':
      return { screen: 'ended', error: action.error };
    case 'reset':
      return action.banner === undefined ? WELCOME : { screen: 'welcome', banner: action.banner };
  }
}
