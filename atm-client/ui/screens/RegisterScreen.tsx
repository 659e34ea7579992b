import { Text } from 'ink';
import type { BankConnector } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { PasswordChecklist } from '../components/PasswordChecklist.js';
import { newAccountFields, newAccountProblem } from '../fields.js';
import { useCheckedForm } from '../hooks/use-checked-form.js';
import { useSignIn } from '../hooks/use-sign-in.js';
import type { Nav, OnSignedIn } from './screen-props.js';

const REGISTER_FIELDS = newAccountFields('Password', 'Repeat password');

export function RegisterScreen(props: { connector: BankConnector; nav: Nav; onSignedIn: OnSignedIn }) {
  const signIn = useSignIn(props);
  const { state, problem } = useCheckedForm(REGISTER_FIELDS, {
    isActive: !signIn.pending,
    onCancel: props.nav.back,
    check: newAccountProblem,
    onSubmit: ({ user = '', password = '' }) => {
      void signIn.register({ user, password });
    },
  });
  return (
    <Frame title="Open an account" hints={['Enter next / open', 'Tab switch field', 'Esc back']}>
      <Text>Choose a user name and a password.</Text>
      <FormFields fields={REGISTER_FIELDS} state={state} disabled={signIn.pending} />
      <PasswordChecklist password={state.values.password ?? ''} />
      <Notice problem={problem} pending={signIn.pending} pendingText="Opening your account…" />
    </Frame>
  );
}
