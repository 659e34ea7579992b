import { Text } from 'ink';
import type { BankSession } from '../../client/types.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { PasswordChecklist } from '../components/PasswordChecklist.js';
import { newAccountFields, newAccountProblem } from '../fields.js';
import { useCheckedForm } from '../hooks/use-checked-form.js';
import { useRequest } from '../hooks/use-request.js';
import type { Nav } from './screen-props.js';

const OPEN_FIELDS = newAccountFields('Their password', 'Repeat it');

/** A teller opens an account for the customer at the counter, who types their own password. */
export function OpenAccountScreen(props: { session: BankSession; nav: Nav; onOpened: (user: string) => void }) {
  const { pending, run } = useRequest();
  const { state, problem } = useCheckedForm(OPEN_FIELDS, {
    isActive: !pending,
    onCancel: props.nav.back,
    check: newAccountProblem,
    onSubmit: ({ user = '', password = '' }) => {
      void run(() => props.session.openAccount(user, password)).then((outcome) => {
        if (!outcome) return;
        if (outcome.ok) props.onOpened(outcome.value.user);
        else props.nav.fail(outcome.error, { screen: 'open-account' });
      });
    },
  });
  return (
    <Frame title="New customer account" hints={['Enter next / open', 'Tab switch field', 'Esc back']}>
      <Text>The customer chooses a user name and a password.</Text>
      <FormFields fields={OPEN_FIELDS} state={state} disabled={pending} />
      <PasswordChecklist password={state.values.password ?? ''} />
      <Notice problem={problem} pending={pending} pendingText="Opening the account…" />
    </Frame>
  );
}
