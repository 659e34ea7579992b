import { useState } from 'react';
import { isStrongPassword } from '../../../protocol/index.js';
import type { BankSession } from '../../client/types.js';
import type { Nav } from '../screens/screen-props.js';
import { useRequest } from './use-request.js';

/** Checks the new password locally first, so the policy is explained before any request. */
export function useChangePassword(
  session: BankSession,
  nav: Nav,
): {
  pending: boolean;
  problem: string | null;
  clearProblem: () => void;
  submit: (values: { current: string; next: string; confirm: string }) => Promise<void>;
} {
  const { pending, run } = useRequest();
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(values: { current: string; next: string; confirm: string }): Promise<void> {
    if (values.current === '') return setProblem('Enter your current password.');
    if (!isStrongPassword(values.next)) return setProblem('The new password does not meet every rule above.');
    if (values.next !== values.confirm) return setProblem('The two new passwords are different.');
    if (values.next === values.current) return setProblem('The new password must differ from the current one.');
    const outcome = await run(() => session.changePassword(values.current, values.next));
    if (!outcome) return;
    if (!outcome.ok) {
      // Here only the password can be wrong: there is no user name on this screen to blame.
      if (outcome.error.code === 'AUTH_FAILED') {
        return setProblem('Your current password is not right. Several wrong tries in a row lock the account.');
      }
      return nav.fail(outcome.error, { screen: 'change-password' });
    }
    nav.go({
      screen: 'done',
      title: 'Password changed',
      lines: ['Your password has been changed.', 'Use the new password next time you log in.'],
    });
  }

  return { pending, problem, clearProblem: () => setProblem(null), submit };
}
