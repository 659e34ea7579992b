import { type PasswordProblem, passwordProblems } from '../../protocol/index.js';

/** The password policy as a checklist the register and change-password screens show. */

export const POLICY_RULES: ReadonlyArray<{ problem: PasswordProblem; text: string }> = [
  { problem: 'too_short', text: 'at least 12 characters' },
  { problem: 'no_upper', text: 'an upper case letter' },
  { problem: 'no_lower', text: 'a lower case letter' },
  { problem: 'no_digit', text: 'a digit' },
  { problem: 'no_symbol', text: 'a symbol, like ! or #' },
  { problem: 'too_long', text: 'at most 72 bytes' },
];

export function passwordChecklist(password: string): Array<{ text: string; met: boolean }> {
  const problems = new Set(passwordProblems(password));
  return POLICY_RULES.map((rule) => ({ text: rule.text, met: !problems.has(rule.problem) }));
}
