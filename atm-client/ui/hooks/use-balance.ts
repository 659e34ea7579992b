import { useEffect, useState } from 'react';
import type { BankSession } from '../../client/types.js';
import type { Clock } from '../clock.js';
import { MENU_ROUTE, type Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

export interface BalanceView {
  balanceCents: number;
  currency: string;
  at: number;
}

/** Asks for the balance once when the screen opens; the answer also says whether two-factor is on. */
export function useBalance(
  session: BankSession,
  nav: Nav,
  clock: Clock,
  onTwoFactor?: (on: boolean) => void,
): BalanceView | null {
  const { run } = useRequest();
  const [view, setView] = useState<BalanceView | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one request per visit to the screen
  useEffect(() => {
    void run(() => session.balance()).then((outcome) => {
      if (!outcome) return;
      if (outcome.ok) {
        setView({ ...outcome.value, at: clock.now() });
        if (typeof outcome.value.twoFactor === 'boolean') onTwoFactor?.(outcome.value.twoFactor);
      } else nav.fail(outcome.error, MENU_ROUTE);
    });
  }, []);
  return view;
}
