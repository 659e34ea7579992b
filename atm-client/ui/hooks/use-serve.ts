import type { BankSession } from '../../client/types.js';
import type { Route } from '../navigation.js';
import type { Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

/** What the App learns when a teller starts serving someone. */
export type OnServed = (customer: string, balanceCents: number) => void;

/**
 * `serve` for the counter: the customer's credentials are checked by the bank like a login; a
 * first try without a code that the bank answers TOTP_REQUIRED moves on to the code step.
 */
export function useServe(options: { session: BankSession; nav: Nav; onServed: OnServed }): {
  pending: boolean;
  serve: (user: string, password: string, totp: string | undefined, retry: Route) => Promise<void>;
} {
  const { pending, run } = useRequest();

  async function serve(user: string, password: string, totp: string | undefined, retry: Route): Promise<void> {
    const outcome = await run(() => options.session.serve(user, password, totp));
    if (!outcome) return;
    if (outcome.ok) options.onServed(outcome.value.user, outcome.value.balanceCents);
    else if (outcome.error.code === 'TOTP_REQUIRED' && totp === undefined) {
      options.nav.go({ screen: 'serve-totp', user, password });
    } else options.nav.fail(outcome.error, retry);
  }

  return { pending, serve };
}
