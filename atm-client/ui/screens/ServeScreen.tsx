import { Text } from 'ink';
import type { BankSession } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { TotpCodeForm } from '../components/TotpCodeForm.js';
import { PASSWORD_FIELD, USER_FIELD, userNameProblem } from '../fields.js';
import { useCheckedForm } from '../hooks/use-checked-form.js';
import { type OnServed, useServe } from '../hooks/use-serve.js';
import type { FieldSpec } from '../text-edit.js';
import type { Nav } from './screen-props.js';

const SERVE_FIELDS: readonly FieldSpec[] = [USER_FIELD, { ...PASSWORD_FIELD, label: 'Their password' }];

interface ServeProps {
  session: BankSession;
  nav: Nav;
  onServed: OnServed;
}

/** The customer types their user name and password on the counter's keyboard. */
export function ServeScreen(props: ServeProps) {
  const serving = useServe(props);
  const { state, problem } = useCheckedForm(SERVE_FIELDS, {
    isActive: !serving.pending,
    onCancel: props.nav.back,
    check: ({ user = '', password = '' }) =>
      userNameProblem(user) ?? (password === '' ? 'The customer enters their password.' : null),
    onSubmit: ({ user = '', password = '' }) => {
      void serving.serve(user, password, undefined, { screen: 'serve' });
    },
  });
  return (
    <Frame title="Serve a customer" hints={['Enter next / serve', 'Tab switch field', 'Esc back']}>
      <Text>The customer enters their user name and password.</Text>
      <FormFields fields={SERVE_FIELDS} state={state} disabled={serving.pending} />
      <Notice problem={problem} pending={serving.pending} pendingText="Checking with the bank…" />
    </Frame>
  );
}

/** Two-factor is on for the customer: they enter the code from their app. */
export function ServeTotpScreen(props: ServeProps & { user: string; password: string }) {
  const serving = useServe(props);
  return (
    <TotpCodeForm
      title="Customer's code"
      submitHint="Enter serve"
      user={props.user}
      instruction="The customer enters the 6-digit code from their app."
      pending={serving.pending}
      onCancel={props.nav.back}
      onCode={(code) => void serving.serve(props.user, props.password, code, { screen: 'serve' })}
    />
  );
}
