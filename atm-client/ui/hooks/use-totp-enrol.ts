import { useEffect, useState } from 'react';
import type { BankSession } from '../../client/types.js';
import { describeError } from '../error-text.js';
import { renderQr } from '../qr.js';
import { MENU_ROUTE, type Nav } from '../screens/screen-props.js';
import { useMounted } from './use-mounted.js';
import { useRequest } from './use-request.js';

export interface Enrolment {
  secret: string;
  /** The QR drawing, or null when it could not be drawn (the secret still works). */
  qr: string | null;
}

/**
 * Starts enrolment once, shows the QR and secret, then confirms a code. A wrong code is
 * said in place so the customer can try again with the same QR.
 */
export function useTotpEnrol(
  session: BankSession,
  nav: Nav,
): {
  enrolment: Enrolment | null;
  pending: boolean;
  problem: string | null;
  clearProblem: () => void;
  confirm: (code: string) => Promise<void>;
} {
  const { pending, run } = useRequest();
  const mounted = useMounted();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: enrolment starts once per visit
  useEffect(() => {
    void run(() => session.totpEnroll()).then(async (outcome) => {
      if (!outcome) return;
      if (!outcome.ok) return nav.fail(outcome.error, MENU_ROUTE);
      const qr = await renderQr(outcome.value.otpauthUri).catch(() => null);
      if (mounted.current) setEnrolment({ secret: outcome.value.secret, qr });
    });
  }, []);

  async function confirm(code: string): Promise<void> {
    if (!/^[0-9]{6}$/.test(code)) return setProblem('The code has 6 digits.');
    const outcome = await run(() => session.totpConfirm(code));
    if (!outcome) return;
    if (outcome.ok) {
      return nav.go({
        screen: 'done',
        title: 'Two-factor login is on',
        lines: ['From now on you will need a code from your app to log in.'],
      });
    }
    if (outcome.error.code === 'TOTP_INVALID') {
      const text = describeError('TOTP_INVALID');
      return setProblem(`${text.title}. ${text.advice}`);
    }
    nav.fail(outcome.error, MENU_ROUTE);
  }

  return { enrolment, pending, problem, clearProblem: () => setProblem(null), confirm };
}
