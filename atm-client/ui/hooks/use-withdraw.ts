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
  | { step: 'choose'; problem?: string }
  | { step: 'custom'; amountCents?: number }
  | { step: 'confirm'; amountCents: number; from: 'choose' | 'custom' }
  | { step: 'working'; amountCents: number }
  | { step: 'dispensing'; amountCents: number }
  | { step: 'reversing'; amountCents: number; txId: string };

/**
 * Amount (a quick one or typed) → confirm → withdraw, then dispense; Esc at the confirm
 * step goes back to where the amount came from, keeping it. An amount over a limit the
 * ATM knows of is refused with the number before anything is sent. When the notes do not come out the money must go back: the
 * ATM reverses the withdrawal with NOT_DISPENSED and says so on the receipt.
 *
 * Once the bank has taken the money, dispensing (or reversing) goes on even if the screen
 * is replaced meanwhile (a notice, the idle logout): only the screen updates are skipped.
 */
export function useWithdraw(options: {
  session: BankSession;
  nav: Nav;
  clock: Clock;
  dispenser: CashDispenser;
  limits: WithdrawLimits | null;
}): {
  step: WithdrawStep;
  chooseCustom: () => void;
  backToChoice: () => void;
  /** A quick amount or a typed one; null when it is refused here (the problem is on the step). */
  choose: (amountCents: number, from: 'choose' | 'custom') => string | null;
  changeAmount: () => void;
  confirm: () => Promise<void>;
} {
  const { session, nav, clock, dispenser, limits } = options;
  const mounted = useMounted();
  const busy = useRef(false);
  const [step, setStep] = useState<WithdrawStep>({ step: 'choose' });
  const show = (next: WithdrawStep) => {
    if (mounted.current) setStep(next);
  };

  function choose(amountCents: number, from: 'choose' | 'custom'): string | null {
    const problem = limitProblem(amountCents, limits);
    if (problem !== null) {
      if (from === 'choose') setStep({ step: 'choose', problem });
      return problem;
    }
    setStep({ step: 'confirm', amountCents, from });
    return null;
  }

  function changeAmount(): void {
    if (step.step !== 'confirm') return;
    setStep(step.from === 'custom' ? { step: 'custom', amountCents: step.amountCents } : { step: 'choose' });
  }

  async function confirm(): Promise<void> {
    if (step.step !== 'confirm' || busy.current) return;
    const { amountCents } = step;
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
    choose,
    changeAmount,
    confirm,
  };
}

/** What the bank said about this account's limits (the balance result). */
export interface WithdrawLimits {
  maxAmountCents: number;
  dailyWithdrawalRemainingCents: number;
}

/** Why an amount is over a known limit, with the number; null when it is within them. */
export function limitProblem(amountCents: number, limits: WithdrawLimits | null): string | null {
  if (limits === null) return null;
  // In the bank's order (protocol/README.md §5.1): INVALID_AMOUNT before LIMIT_EXCEEDED.
  if (amountCents > limits.maxAmountCents) {
    return `The most for one withdrawal is ${formatCents(limits.maxAmountCents)}.`;
  }
  if (amountCents > limits.dailyWithdrawalRemainingCents) {
    return limits.dailyWithdrawalRemainingCents > 0
      ? `Today you can withdraw at most ${formatCents(limits.dailyWithdrawalRemainingCents)} more.`
      : "You have used all of today's withdrawal limit.";
  }
  return null;
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
