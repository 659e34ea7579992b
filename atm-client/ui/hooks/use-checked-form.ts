/** A form checked on the screen before it goes anywhere: the problem it shows, cleared on the next edit. */
import { useState } from 'react';
import type { FieldSpec, FormState } from '../text-edit.js';
import { type FormHandlers, useForm } from './use-form.js';

export interface CheckedFormHandlers extends Omit<FormHandlers, 'onEdit'> {
  /** Why the values cannot be sent, in one line; null when they may. */
  check: (values: Record<string, string>) => string | null;
}

/** `onSubmit` runs only for values `check` passes; otherwise `problem` says why, until the next edit. */
export function useCheckedForm(
  fields: readonly FieldSpec[],
  handlers: CheckedFormHandlers,
): { state: FormState; problem: string | null } {
  const [problem, setProblem] = useState<string | null>(null);
  const { check, onSubmit, ...rest } = handlers;
  const { state } = useForm(fields, {
    ...rest,
    onEdit: () => setProblem(null),
    onSubmit: (values) => {
      const refused = check(values);
      if (refused) setProblem(refused);
      else onSubmit(values);
    },
  });
  return { state, problem };
}

/** The check of a 6-digit code field. */
export function codeProblem({ code = '' }: Record<string, string>): string | null {
  return code.length !== 6 ? 'The code has 6 digits.' : null;
}
