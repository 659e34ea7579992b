import { useState } from 'react';
import type { BankSession } from '../../client/types.js';
import { describeUiError, type UiError, USED_CODE_TEXT } from '../error-text.js';
import { MENU_ROUTE, type Nav } from '../screens/screen-props.js';
import { type UiOutcome, useRequest } from './use-request.js';

export type TwoFactorStep =
  | { step: 'status' } // on: says so, offers "Turn off"
  | { step: 'disable' } // password + current code
  | { step: 'enrol' } // off: the password, to start enrolment
  | { step: 'qr'; secret: string; otpauthUri: string }
  | { step: 'code'; secret: string; otpauthUri: string };

/**
 * Two-factor login: turned on by password → QR → first code, turned off by password and a
 * current code. A wrong password or code is said in place so the customer can try again;
 * anything else (a lock, a lost connection) goes to the error screen.
 */
export function useTwoFactor(options: {
  session: BankSession;
  nav: Nav;
  twoFactor: boolean;
  onChanged: (on: boolean) => void;
}): {
  step: TwoFactorStep;
  pending: boolean;
  problem: string | null;
  clearProblem: () => void;
  turnOff: () => void;
  enrol: (password: string) => Promise<void>;
  disable: (password: string, code: string) => Promise<void>;
  showCodeEntry: () => void;
  showQr: () => void;
  confirm: (code: string) => Promise<void>;
} {
  const { session, nav } = options;
  const { pending, run } = useRequest();
  const [step, setStep] = useState<TwoFactorStep>({ step: options.twoFactor ? 'status' : 'enrol' });
  const [problem, setProblem] = useState<string | null>(null);

  /** Says a wrong password or code in place; true when it did. */
  function inPlace(error: UiError): boolean {
    if (error.code === 'AUTH_FAILED') {
      setProblem('That password is not right. Several wrong tries in a row lock the account.');
      return true;
    }
    if (error.code === 'TOTP_INVALID' || error.code === 'TOTP_REQUIRED') {
      const text = error.reason === 'USED' ? USED_CODE_TEXT : describeUiError(error);
      setProblem(`${text.title}. ${text.advice}`);
      return true;
    }
    return false;
  }

  async function enrol(password: string): Promise<void> {
    if (password === '') return setProblem('Enter your password.');
    const outcome = await run(() => session.totpEnroll(password));
    if (!outcome) return;
    if (outcome.ok) {
      setProblem(null);
      return setStep({ step: 'qr', ...outcome.value });
    }
    if (!inPlace(outcome.error)) nav.fail(outcome.error, MENU_ROUTE);
  }

  async function disable(password: string, code: string): Promise<void> {
    if (password === '') return setProblem('Enter your password.');
    if (!/^[0-9]{6}$/.test(code)) return setProblem('The code has 6 digits.');
    const outcome = await run(() => session.totpDisable(password, code));
    if (outcome) changed(outcome, false, 'Two-factor login is off', 'From now on your password alone logs you in.');
  }

  async function confirm(code: string): Promise<void> {
    if (!/^[0-9]{6}$/.test(code)) return setProblem('The code has 6 digits.');
    const outcome = await run(() => session.totpConfirm(code));
    if (outcome)
      changed(outcome, true, 'Two-factor login is on', 'From now on you will need a code from your app to log in.');
  }

  /** A refusal stays on this screen when it can (else the menu shows it); success reports the new state and says so. */
  function changed(outcome: UiOutcome<unknown>, on: boolean, title: string, line: string): void {
    if (!outcome.ok) {
      if (!inPlace(outcome.error)) nav.fail(outcome.error, MENU_ROUTE);
      return;
    }
    options.onChanged(on);
    nav.go({ screen: 'done', title, lines: [line] });
  }

  return {
    step,
    pending,
    problem,
    clearProblem: () => setProblem(null),
    turnOff: () => setStep({ step: 'disable' }),
    enrol,
    disable,
    showCodeEntry: () => {
      if (step.step === 'qr') setStep({ ...step, step: 'code' });
    },
    showQr: () => {
      if (step.step === 'code') {
        setProblem(null);
        setStep({ ...step, step: 'qr' });
      }
    },
    confirm,
  };
}
