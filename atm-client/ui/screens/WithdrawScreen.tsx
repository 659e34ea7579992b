import { Box, Text } from 'ink';
import { AmountEntry } from '../components/AmountEntry.js';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { WorkingStep } from '../components/WorkingStep.js';
import type { CashDispenser } from '../dispenser.js';
import { useMenu } from '../hooks/use-menu.js';
import { useWithdraw } from '../hooks/use-withdraw.js';
import { QUICK_AMOUNTS_CENTS } from '../menu-model.js';
import { formatCents } from '../money.js';
import type { SessionScreenProps } from './screen-props.js';

const CHOICES = [...QUICK_AMOUNTS_CENTS.map((cents) => formatCents(cents)), 'Other amount'];

export function WithdrawScreen(props: SessionScreenProps & { dispenser: CashDispenser }) {
  const flow = useWithdraw(props);
  const { step } = flow;
  switch (step.step) {
    case 'choose':
      return <ChooseAmount onQuick={flow.withdraw} onCustom={flow.chooseCustom} onBack={props.nav.back} />;
    case 'custom':
      return (
        <AmountEntry
          title="Withdraw cash"
          prompt="How much would you like to withdraw?"
          onAmount={flow.withdraw}
          onCancel={flow.backToChoice}
        />
      );
    case 'working':
      return <WorkingStep title="Withdraw cash" message={`Withdrawing ${formatCents(step.amountCents)}…`} />;
    case 'dispensing':
      return <WorkingStep title="Withdraw cash" message={`Counting your cash: ${formatCents(step.amountCents)}…`} />;
    case 'reversing':
      return (
        <WorkingStep
          title="Withdraw cash"
          message={`Sorry, the cash could not be dispensed. Returning ${formatCents(step.amountCents)} to your account…`}
        />
      );
  }
}

function ChooseAmount(props: { onQuick: (cents: number) => void; onCustom: () => void; onBack: () => void }) {
  const selected = useMenu(CHOICES.length, {
    onBack: props.onBack,
    onChoose: (index) => {
      const cents = QUICK_AMOUNTS_CENTS[index];
      if (cents === undefined) props.onCustom();
      else props.onQuick(cents);
    },
  });
  return (
    <Frame title="Withdraw cash" hints={['↑↓ move', 'Enter select', `1–${CHOICES.length} choose`, 'Esc back']}>
      <Text>How much would you like to withdraw?</Text>
      <Box marginTop={1}>
        <MenuList labels={CHOICES} selected={selected} />
      </Box>
    </Frame>
  );
}
