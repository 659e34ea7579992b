import { Text } from 'ink';
import type { BankConnector } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { CODE_FIELDS } from '../fields.js';
import { codeProblem, useCheckedForm } from '../hooks/use-checked-form.js';
import { useSignIn } from '../hooks/use-sign-in.js';
import type { Nav, OnSignedIn } from './screen-props.js';

export function TotpLoginScreen(props: {
  connector: BankConnector;
  nav: Nav;
  user: string;
  password: string;
  onSignedIn: OnSignedIn;
}) {
  const signIn = useSignIn(props);
  const { state, problem } = useCheckedForm(CODE_FIELDS, {
    isActive: !signIn.pending,
    onCancel: props.nav.back,
    check: codeProblem,
    onSubmit: ({ code = '' }) => {
      const { user, password } = props;
      void signIn.login({ user, password, totp: code }, { screen: 'login-totp', user, password });
    },
  });
  return (
    <Frame title="Two-factor code" hints={['type 6 digits', 'Enter log in', 'Esc back']}>
      <Text>Two-factor login is on for {props.user}.</Text>
      <Text>Enter the 6-digit code from your authenticator app.</Text>
      <FormFields fields={CODE_FIELDS} state={state} disabled={signIn.pending} />
      <Notice problem={problem} pending={signIn.pending} pendingText="Checking the code…" />
    </Frame>
  );
}
