import { useState } from 'react';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { Para } from '../components/Para.js';
import { useForm } from '../hooks/use-form.js';
import { useRequest } from '../hooks/use-request.js';
import { type FieldSpec, isPrintable } from '../text-edit.js';
import type { SessionScreenProps } from './screen-props.js';

// The bank's own limits and rules (protocol/README.md update_contact), checked here so the reason can be said.
const MAX_EMAIL_CHARS = 254;
const MAX_PHONE_CHARS = 20;

const CONTACT_FIELDS: readonly FieldSpec[] = [
  { name: 'email', label: 'E-mail', accept: (c) => isPrintable(c) && c !== ' ', maxLength: MAX_EMAIL_CHARS },
  { name: 'phone', label: 'Phone', accept: (c) => /^[0-9+ ()-]$/.test(c), maxLength: MAX_PHONE_CHARS },
];

const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;
const PHONE_SHAPE = /^\+?[0-9][0-9 ()-]{3,19}$/;

/** The reason a contact form cannot be sent, or null. */
export function contactProblem(values: { email: string; phone: string }): string | null {
  if (values.email === '' && values.phone === '') return 'Fill in an e-mail address, a phone number, or both.';
  if (values.email !== '' && !EMAIL_SHAPE.test(values.email)) return 'The e-mail address looks like name@example.com.';
  if (values.phone !== '' && !PHONE_SHAPE.test(values.phone)) {
    return 'A phone number is digits (spaces, ( ) and - allowed), optionally starting with +.';
  }
  return null;
}

/** E-mail and phone the bank keeps for the account; a field left empty stays as it was. */
export function UpdateContactScreen(props: SessionScreenProps) {
  const { pending, run } = useRequest();
  const [problem, setProblem] = useState<string | null>(null);
  const { state } = useForm(CONTACT_FIELDS, {
    isActive: !pending,
    onCancel: props.nav.back,
    onEdit: () => setProblem(null),
    onSubmit: ({ email = '', phone = '' }) => {
      const values = { email: email.trim(), phone: phone.trim() };
      const wrong = contactProblem(values);
      if (wrong) return setProblem(wrong);
      const contact = {
        ...(values.email === '' ? {} : { email: values.email }),
        ...(values.phone === '' ? {} : { phone: values.phone }),
      };
      void run(() => props.session.updateContact(contact)).then((outcome) => {
        if (!outcome) return;
        if (!outcome.ok) return props.nav.fail(outcome.error, { screen: 'update-contact' });
        props.nav.go({
          screen: 'done',
          title: 'Contact details saved',
          lines: [
            ...(contact.email ? [`E-mail: ${contact.email}`] : []),
            ...(contact.phone ? [`Phone: ${contact.phone}`] : []),
          ],
        });
      });
    },
  });
  return (
    <Frame title="Update e-mail and phone" hints={['Enter next / save', 'Tab switch field', 'Esc back']}>
      <Para>Where can the bank reach you? Leave a field empty to keep it as it is.</Para>
      <FormFields fields={CONTACT_FIELDS} state={state} disabled={pending} />
      <Notice problem={problem} pending={pending} pendingText="Saving…" />
    </Frame>
  );
}
