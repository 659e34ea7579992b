import { useRef, useState } from 'react';
import type { BankSession, Outcome } from '../../client/types.js';
import type { Clock } from '../clock.js';
import type { CashDispenser, DispenseOutcome } from '../dispenser.js';
import { fromClientError, unexpectedError } from '../error-text.js';
import { formatCents } from '../money.js';
import { MENU_ROUTE, type Nav } from '../screens/screen-props.js';
import { useMounted } from './use-mounted.js';
import type { UiOutcome } from './use-request.js';

export type WithdrawStep =
  | { step: 'choose' }
  | { step: 'custom' }
  | { step: 'working'; amountCents: number }
  | { step: 'dispensing'; amountCents: number }
  | { step: 'reversing'; amountCents: number; txId: string };

/**
 * Withdraw, then dispense. When the notes do not come out the money must go back: the
 * ATM reverses the withdrawal with NOT_DISPENSED and says so on the receipt.
 *
 * Once the bank has taken the money, dispensing (or reversing) goes on even if the screen
 * is replaced meanwhile (a notice, the idle logout): only the screen updates are skipped.
 */
export function useWithdraw(options: { session: BankSession; nav: Nav; clock: Clock; dispenser: CashDispenser }): {
  step: WithdrawStep;
  chooseCustom: () => void;
  backToChoice: () => void;
  withdraw: (amountCents: number) => Promise<void>;
} {
  const { session, nav, clock, dispenser } = options;
  const mounted = useMounted();
  const busy = useRef(false);
  const [step, setStep] = useState<WithdrawStep>({ step: 'choose' });
  const show = (next: WithdrawStep) => {
    if (mounted.current) setStep(next);
  };

  async function withdraw(amountCents: number): Promise<void> {
    if (busy.current) return;
    busy.current = true;
    try {
      await withdrawAndDispense(amountCents);
    } finally {
      busy.current = false;
    }
  }

  async function withdrawAndDispense(amountCents: number): Promise<void> {
    show({ step: 'working', amountCents });
    const taken = await settle(session.withdraw(amountCents));
    if (!taken.ok) {
      if (mounted.current) nav.fail(taken.error, { screen: 'withdraw' });
      return;
    }
    const { txId, balanceCents } = taken.value;

    show({ step: 'dispensing', amountCents });
    let dispensed: DispenseOutcome;
    try {
      dispensed = await dispenser.dispense(amountCents);
    } catch {
      dispensed = { ok: false, reason: 'the dispenser failed' };
    }
    if (dispensed.ok) {
      if (mounted.current) {
        nav.go({
          screen: 'receipt',
          receipt: { kind: 'withdrawal', amountCents, txId, balanceCents, at: clock.now() },
        });
      }
      return;
    }

    show({ step: 'reversing', amountCents, txId });
    const reversed = await settle(session.reverse(txId, 'NOT_DISPENSED'));
    if (!mounted.current) return;
    if (!reversed.ok) {
      nav.fail(
        {
          ...reversed.error,
          detail: `The cash (${formatCents(amountCents)}) was not dispensed and the automatic refund failed. Quote withdrawal ${txId} to the bank.`,
        },
        MENU_ROUTE,
      );
      return;
    }
    nav.go({
      screen: 'receipt',
      receipt: {
        kind: 'reversal',
        amountCents,
        txId: reversed.value.txId,
        reversedTxId: txId,
        balanceCents: reversed.value.balanceCents,
        at: clock.now(),
      },
    });
  }

  return {
    step,
    chooseCustom: () => setStep({ step: 'custom' }),
    backToChoice: () => setStep({ step: 'choose' }),
    withdraw,
  };
}

/** A bank call as a UI outcome; a throw (against the contract) becomes UNEXPECTED. */
async function settle<T>(call: Promise<Outcome<T>>): Promise<UiOutcome<T>> {
  try {
    const outcome = await call;
    return outcome.ok ? outcome : { ok: false, error: fromClientError(outcome.error) };
  } catch {
    return { ok: false, error: unexpectedError() };
  }
}
