import type { BankConnector } from '../../client/types.js';
import { TotpCodeForm } from '../components/TotpCodeForm.js';
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
  const { user, password } = props;
  return (
    <TotpCodeForm
      title="Two-factor code"
      submitHint="Enter log in"
      user={user}
      instruction="Enter the 6-digit code from your authenticator app."
      pending={signIn.pending}
      onCancel={props.nav.back}
      onCode={(code) => void signIn.login({ user, password, totp: code }, { screen: 'login-totp', user, password })}
    />
  );
}
