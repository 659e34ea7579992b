import { AmountEntry } from '../components/AmountEntry.js';
import { ConfirmStep } from '../components/ConfirmStep.js';
import { WorkingStep } from '../components/WorkingStep.js';
import { useDeposit } from '../hooks/use-deposit.js';
import { formatCents } from '../money.js';
import type { SessionScreenProps } from './screen-props.js';

export function DepositScreen(props: SessionScreenProps) {
  const flow = useDeposit(props);
  const { step } = flow;
  switch (step.step) {
    case 'amount':
      return (
        <AmountEntry
          title="Deposit"
          prompt="How much are you depositing?"
          initialCents={step.amountCents}
          onAmount={flow.setAmount}
          onCancel={props.nav.back}
        />
      );
    case 'confirm':
      return (
        <ConfirmStep
          title="Deposit"
          lines={[`Deposit ${formatCents(step.amountCents)} into your account?`]}
          onConfirm={() => void flow.confirm()}
          onCancel={flow.changeAmount}
        />
      );
    case 'working':
      return <WorkingStep title="Deposit" message={`Depositing ${formatCents(step.amountCents)}…`} />;
  }
}
