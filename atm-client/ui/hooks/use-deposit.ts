import { useState } from 'react';
import type { BankSession } from '../../client/types.js';
import type { Clock } from '../clock.js';
import type { Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

export type DepositStep =
  | { step: 'amount'; amountCents?: number }
  | { step: 'confirm'; amountCents: number }
  | { step: 'working'; amountCents: number };

/** Amount → confirm → deposit → receipt. */
export function useDeposit(options: { session: BankSession; nav: Nav; clock: Clock }): {
  step: DepositStep;
  setAmount: (amountCents: number) => void;
  changeAmount: () => void;
  confirm: () => Promise<void>;
} {
  const { session, nav, clock } = options;
  const { run } = useRequest();
  const [step, setStep] = useState<DepositStep>({ step: 'amount' });

  async function confirm(): Promise<void> {
    if (step.step !== 'confirm') return;
    const { amountCents } = step;
    setStep({ step: 'working', amountCents });
    const outcome = await run(() => session.deposit(amountCents));
    if (!outcome) return;
    if (!outcome.ok) return nav.fail(outcome.error, { screen: 'deposit' });
    nav.go({
      screen: 'receipt',
      receipt: { kind: 'deposit', amountCents, ...outcome.value, at: clock.now() },
    });
  }

  return {
    step,
    setAmount: (amountCents) => setStep({ step: 'confirm', amountCents }),
    changeAmount: () => setStep(step.step === 'confirm' ? { step: 'amount', amountCents: step.amountCents } : step),
    confirm,
  };
}
