import { Text } from 'ink';
import { useState } from 'react';
import { USER_PATTERN } from '../../../protocol/index.js';
import { AmountEntry } from '../components/AmountEntry.js';
import { ConfirmStep } from '../components/ConfirmStep.js';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { WorkingStep } from '../components/WorkingStep.js';
import { USER_FIELD, USER_RULE } from '../fields.js';
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
      return <Recipient onRecipient={flow.setRecipient} onCancel={flow.stepBack} />;
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

function Recipient(props: { onRecipient: (to: string) => void; onCancel: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const { state } = useForm(RECIPIENT_FIELDS, {
    onCancel: props.onCancel,
    onEdit: () => setProblem(null),
    onSubmit: ({ to = '' }) => {
      if (USER_PATTERN.test(to)) props.onRecipient(to);
      else setProblem(USER_RULE);
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
