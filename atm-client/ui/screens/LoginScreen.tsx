import { useState } from 'react';
import { USER_PATTERN } from '../../../protocol/index.js';
import type { BankConnector } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { USER_FIELD, USER_RULE } from '../fields.js';
import { useForm } from '../hooks/use-form.js';
import { useSignIn } from '../hooks/use-sign-in.js';
import { type FieldSpec, isPrintable } from '../text-edit.js';
import type { Nav, OnSignedIn } from './screen-props.js';

const LOGIN_FIELDS: readonly FieldSpec[] = [
  USER_FIELD,
  { name: 'password', label: 'Password', mask: true, accept: isPrintable, maxLength: 1024 },
];

export function LoginScreen(props: { connector: BankConnector; nav: Nav; onSignedIn: OnSignedIn }) {
  const [problem, setProblem] = useState<string | null>(null);
  const signIn = useSignIn(props);
  const { state } = useForm(LOGIN_FIELDS, {
    isActive: !signIn.pending,
    onCancel: props.nav.back,
    onEdit: () => setProblem(null),
    onSubmit: ({ user = '', password = '' }) => {
      if (!USER_PATTERN.test(user)) return setProblem(USER_RULE);
      if (password === '') return setProblem('Enter your password.');
      void signIn.login({ user, password }, { screen: 'login' });
    },
  });
  return (
    <Frame title="Log in" hints={['Enter next / log in', 'Tab switch field', 'Esc back']}>
      <FormFields fields={LOGIN_FIELDS} state={state} disabled={signIn.pending} />
      <Notice problem={problem} pending={signIn.pending} pendingText="Connecting to the bank…" />
    </Frame>
  );
}
