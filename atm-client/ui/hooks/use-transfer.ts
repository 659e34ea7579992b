import { useState } from 'react';
import type { BankSession } from '../../client/types.js';
import type { Clock } from '../clock.js';
import type { Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

export type TransferStep =
  | { step: 'to' }
  | { step: 'amount'; to: string; amountCents?: number }
  | { step: 'confirm'; to: string; amountCents: number }
  | { step: 'working'; to: string; amountCents: number };

/** Recipient → amount → confirm → transfer → receipt; Esc steps back one at a time. */
export function useTransfer(options: { session: BankSession; nav: Nav; clock: Clock }): {
  step: TransferStep;
  setRecipient: (to: string) => void;
  setAmount: (amountCents: number) => void;
  stepBack: () => void;
  confirm: () => Promise<void>;
} {
  const { session, nav, clock } = options;
  const { run } = useRequest();
  const [step, setStep] = useState<TransferStep>({ step: 'to' });

  async function confirm(): Promise<void> {
    if (step.step !== 'confirm') return;
    const { to, amountCents } = step;
    setStep({ step: 'working', to, amountCents });
    const outcome = await run(() => session.transfer(to, amountCents));
    if (!outcome) return;
    if (!outcome.ok) return nav.fail(outcome.error, { screen: 'transfer' });
    nav.go({
      screen: 'receipt',
      receipt: { kind: 'transfer', amountCents, counterparty: to, ...outcome.value, at: clock.now() },
    });
  }

  function stepBack(): void {
    if (step.step === 'to') nav.back();
    else if (step.step === 'amount') setStep({ step: 'to' });
    else if (step.step === 'confirm') setStep({ step: 'amount', to: step.to, amountCents: step.amountCents });
  }

  return {
    step,
    setRecipient: (to) => setStep({ step: 'amount', to }),
    setAmount: (amountCents) => {
      if (step.step === 'amount') setStep({ step: 'confirm', to: step.to, amountCents });
    },
    stepBack,
    confirm,
  };
}
