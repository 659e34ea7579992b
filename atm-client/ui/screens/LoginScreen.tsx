import type { BankConnector } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { USER_FIELD, userNameProblem } from '../fields.js';
import { useCheckedForm } from '../hooks/use-checked-form.js';
import { useSignIn } from '../hooks/use-sign-in.js';
import { type FieldSpec, isPrintable } from '../text-edit.js';
import type { Nav, OnSignedIn } from './screen-props.js';

const LOGIN_FIELDS: readonly FieldSpec[] = [
  USER_FIELD,
  { name: 'password', label: 'Password', mask: true, accept: isPrintable, maxLength: 1024 },
];

/** Log in; coming back after a refusal, the user name is kept and the cursor is at the password. */
export function LoginScreen(props: { connector: BankConnector; nav: Nav; onSignedIn: OnSignedIn; user?: string }) {
  const signIn = useSignIn(props);
  const { state, problem } = useCheckedForm(LOGIN_FIELDS, {
    isActive: !signIn.pending,
    ...(props.user === undefined ? {} : { initial: { user: props.user }, initialFocus: 1 }),
    onCancel: props.nav.back,
    check: ({ user = '', password = '' }) => userNameProblem(user) ?? (password === '' ? 'Enter your password.' : null),
    onSubmit: ({ user = '', password = '' }) => {
      void signIn.login({ user, password }, { screen: 'login', user });
    },
  });
  return (
    <Frame title="Log in" hints={['Enter next / log in', 'Tab switch field', 'Esc back']}>
      <FormFields fields={LOGIN_FIELDS} state={state} disabled={signIn.pending} />
      <Notice problem={problem} pending={signIn.pending} pendingText="Connecting to the bank…" />
    </Frame>
  );
}
