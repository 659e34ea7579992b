import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { PasswordChecklist } from '../components/PasswordChecklist.js';
import { useChangePassword } from '../hooks/use-change-password.js';
import { useForm } from '../hooks/use-form.js';
import { type FieldSpec, isPrintable } from '../text-edit.js';
import type { SessionScreenProps } from './screen-props.js';

const PASSWORD_FIELDS: readonly FieldSpec[] = [
  { name: 'current', label: 'Current password', mask: true, accept: isPrintable, maxLength: 1024 },
  { name: 'next', label: 'New password', mask: true, accept: isPrintable, maxLength: 72 },
  { name: 'confirm', label: 'Repeat new password', mask: true, accept: isPrintable, maxLength: 72 },
];

export function ChangePasswordScreen(props: SessionScreenProps) {
  const change = useChangePassword(props.session, props.nav);
  const { state } = useForm(PASSWORD_FIELDS, {
    isActive: !change.pending,
    onCancel: props.nav.back,
    onEdit: change.clearProblem,
    onSubmit: ({ current = '', next = '', confirm = '' }) => void change.submit({ current, next, confirm }),
  });
  return (
    <Frame title="Change password" hints={['Enter next / change', 'Tab switch field', 'Esc back']}>
      <FormFields fields={PASSWORD_FIELDS} state={state} disabled={change.pending} />
      <PasswordChecklist password={state.values.next ?? ''} />
      <Notice problem={change.problem} pending={change.pending} pendingText="Changing your password…" />
    </Frame>
  );
}
