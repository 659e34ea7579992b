import { Text } from 'ink';
import { useState } from 'react';
import { AmountEntry } from '../components/AmountEntry.js';
import { ConfirmStep } from '../components/ConfirmStep.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { WorkingStep } from '../components/WorkingStep.js';
import { USER_FIELD, userNameProblem } from '../fields.js';
import { useForm } from '../hooks/use-form.js';
import { useTransfer } from '../hooks/use-transfer.js';
import { formatCents } from '../money.js';
import type { FieldSpec } from '../text-edit.js';
import type { SessionScreenProps } from './screen-props.js';

const RECIPIENT_FIELDS: readonly FieldSpec[] = [{ ...USER_FIELD, name: 'to', label: 'To user' }];

export function TransferScreen(props: SessionScreenProps) {
  const flow = useTransfer(props);
  const { step } = flow;
  switch (step.step) {
    case 'to':
      return <Recipient self={props.session.user} onRecipient={flow.setRecipient} onCancel={flow.stepBack} />;
    case 'amount':
      return (
        <AmountEntry
          title="Transfer"
          prompt={`How much would you like to send to ${step.to}?`}
          initialCents={step.amountCents}
          onAmount={flow.setAmount}
          onCancel={flow.stepBack}
        />
      );
    case 'confirm':
      return (
        <ConfirmStep
          title="Transfer"
          lines={[`Send ${formatCents(step.amountCents)} to ${step.to}?`]}
          onConfirm={() => void flow.confirm()}
          onCancel={flow.stepBack}
        />
      );
    case 'working':
      return <WorkingStep title="Transfer" message={`Sending ${formatCents(step.amountCents)} to ${step.to}…`} />;
  }
}

function Recipient(props: { self: string; onRecipient: (to: string) => void; onCancel: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const { state } = useForm(RECIPIENT_FIELDS, {
    onCancel: props.onCancel,
    onEdit: () => setProblem(null),
    onSubmit: ({ to = '' }) => {
      // The bank would refuse one's own name (SAME_ACCOUNT) only after amount and confirm.
      if (to === props.self) return setProblem('That is your own account: a transfer must go to someone else.');
      const wrongName = userNameProblem(to);
      if (wrongName) setProblem(wrongName);
      else props.onRecipient(to);
    },
  });
  return (
    <Frame title="Transfer" hints={['type a user name', 'Enter continue', 'Esc back']}>
      <Text>Who would you like to send money to?</Text>
      <FormFields fields={RECIPIENT_FIELDS} state={state} />
      <Notice problem={problem} />
    </Frame>
  );
}
