import type { BankConnector, Credentials } from '../../client/types.js';
import type { Route } from '../navigation.js';
import type { Nav, OnSignedIn } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

/**
 * Log in or open an account. A first login without a code that the bank answers with
 * TOTP_REQUIRED moves on to the code screen instead of showing an error.
 */
export function useSignIn(options: { connector: BankConnector; nav: Nav; onSignedIn: OnSignedIn }): {
  pending: boolean;
  login: (credentials: Credentials, retry: Route) => Promise<void>;
  register: (credentials: Credentials) => Promise<void>;
} {
  const { pending, run } = useRequest();

  async function login(credentials: Credentials, retry: Route): Promise<void> {
    const outcome = await run(() => options.connector.login(credentials));
    if (!outcome) return;
    if (outcome.ok) {
      // The bank lets a two-factor account in only with a code: having sent one says it is on.
      options.onSignedIn(outcome.value, { twoFactor: credentials.totp !== undefined });
    } else if (outcome.error.code === 'TOTP_REQUIRED' && credentials.totp === undefined) {
      options.nav.go({ screen: 'login-totp', user: credentials.user, password: credentials.password });
    } else {
      options.nav.fail(outcome.error, retry);
    }
  }

  async function register(credentials: Credentials): Promise<void> {
    const outcome = await run(() => options.connector.register(credentials));
    if (!outcome) return;
    if (outcome.ok) {
      options.onSignedIn(outcome.value, {
        banner: `Your account is open. Welcome, ${outcome.value.user}!`,
        twoFactor: false,
      });
    } else options.nav.fail(outcome.error, { screen: 'register' });
  }

  return { pending, login, register };
}
