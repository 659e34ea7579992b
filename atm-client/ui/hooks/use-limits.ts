import { useEffect, useState } from 'react';
import type { BankSession } from '../../client/types.js';
import type { WithdrawLimits } from './use-withdraw.js';

/**
 * Asks the bank once for this account's withdrawal limits (the balance result carries
 * them), so the withdraw screen can say the numbers. Null until they are known, and
 * when the bank does not send them or the request fails: the screen then says nothing.
 */
export function useLimits(session: BankSession): WithdrawLimits | null {
  const [limits, setLimits] = useState<WithdrawLimits | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one request per visit to the screen
  useEffect(() => {
    let live = true;
    session.balance().then(
      (outcome) => {
        if (!live || !outcome.ok) return;
        const { maxAmountCents, dailyWithdrawalRemainingCents } = outcome.value;
        if (Number.isSafeInteger(maxAmountCents) && Number.isSafeInteger(dailyWithdrawalRemainingCents)) {
          setLimits({ maxAmountCents, dailyWithdrawalRemainingCents });
        }
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return limits;
}
