import { Text } from 'ink';
import { CODE_FIELDS } from '../fields.js';
import { codeProblem, useCheckedForm } from '../hooks/use-checked-form.js';
import { FormFields } from './FormFields.js';
import { Frame } from './Frame.js';
import { Notice } from './Notice.js';

/**
 * The code step of a two-factor sign-in, the customer's own login or a teller serving them:
 * six digits for `user`, handed to `onCode` once they pass the check.
 */
export function TotpCodeForm(props: {
  title: string;
  /** The hint for Enter, e.g. "Enter log in". */
  submitHint: string;
  user: string;
  /** Who types the code, and where it comes from. */
  instruction: string;
  pending: boolean;
  onCancel: () => void;
  onCode: (code: string) => void;
}) {
  const { state, problem } = useCheckedForm(CODE_FIELDS, {
    isActive: !props.pending,
    onCancel: props.onCancel,
    check: codeProblem,
    onSubmit: ({ code = '' }) => props.onCode(code),
  });
  return (
    <Frame title={props.title} hints={['type 6 digits', props.submitHint, 'Esc back']}>
      <Text>Two-factor login is on for {props.user}.</Text>
      <Text>{props.instruction}</Text>
      <FormFields fields={CODE_FIELDS} state={state} disabled={props.pending} />
      <Notice problem={problem} pending={props.pending} pendingText="Checking the code…" />
    </Frame>
  );
}
