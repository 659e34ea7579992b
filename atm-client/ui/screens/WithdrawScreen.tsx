import { Box, Text } from 'ink';
import { AmountEntry } from '../components/AmountEntry.js';
import { ConfirmStep } from '../components/ConfirmStep.js';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { Notice } from '../components/Notice.js';
import { WorkingStep } from '../components/WorkingStep.js';
import type { CashDispenser } from '../dispenser.js';
import { useLimits } from '../hooks/use-limits.js';
import { useMenu } from '../hooks/use-menu.js';
import { useWithdraw, type WithdrawLimits } from '../hooks/use-withdraw.js';
import { QUICK_AMOUNTS_CENTS } from '../menu-model.js';
import { formatCents } from '../money.js';
import type { SessionScreenProps } from './screen-props.js';

const CHOICES = [...QUICK_AMOUNTS_CENTS.map((cents) => formatCents(cents)), 'Other amount'];
const TITLE = 'Withdraw cash';

/** The limits in words, one line each. */
export function limitNotes(limits: WithdrawLimits | null): string[] {
  if (limits === null) return [];
  return [
    `Left of today's withdrawal limit: ${formatCents(limits.dailyWithdrawalRemainingCents)}`,
    `At most ${formatCents(limits.maxAmountCents)} in one withdrawal`,
  ];
}

export function WithdrawScreen(props: SessionScreenProps & { dispenser: CashDispenser }) {
  const limits = useLimits(props.session);
  const flow = useWithdraw({ ...props, limits });
  const { step } = flow;
  const notes = limitNotes(limits);
  switch (step.step) {
    case 'choose':
      return (
        <ChooseAmount
          notes={notes}
          problem={step.problem ?? null}
          onQuick={(cents) => flow.choose(cents, 'choose')}
          onCustom={flow.chooseCustom}
          onBack={props.nav.back}
        />
      );
    case 'custom':
      return (
        <AmountEntry
          title={TITLE}
          prompt="How much would you like to withdraw?"
          notes={notes}
          initialCents={step.amountCents}
          onAmount={(cents) => flow.choose(cents, 'custom')}
          onCancel={flow.backToChoice}
        />
      );
    case 'confirm':
      return (
        <ConfirmStep
          title={TITLE}
          lines={[`Withdraw ${formatCents(step.amountCents)} in cash from your account?`]}
          onConfirm={() => void flow.confirm()}
          onCancel={flow.changeAmount}
        />
      );
    case 'working':
      return <WorkingStep title={TITLE} message={`Withdrawing ${formatCents(step.amountCents)}…`} />;
    case 'dispensing':
      return <WorkingStep title={TITLE} message={`Counting your cash: ${formatCents(step.amountCents)}…`} />;
    case 'reversing':
      return (
        <WorkingStep
          title={TITLE}
          message={`Sorry, the cash could not be dispensed. Returning ${formatCents(step.amountCents)} to your account…`}
        />
      );
  }
}

function ChooseAmount(props: {
  notes: readonly string[];
  problem: string | null;
  onQuick: (cents: number) => void;
  onCustom: () => void;
  onBack: () => void;
}) {
  const selected = useMenu(CHOICES.length, {
    onBack: props.onBack,
    onChoose: (index) => {
      const cents = QUICK_AMOUNTS_CENTS[index];
      if (cents === undefined) props.onCustom();
      else props.onQuick(cents);
    },
  });
  return (
    <Frame title={TITLE} hints={['↑↓ move', 'Enter select', `1–${CHOICES.length} choose`, 'Esc back']}>
      <Text>How much would you like to withdraw?</Text>
      {props.notes.map((note) => (
        <Text key={note} dimColor>
          {note}
        </Text>
      ))}
      <Box marginTop={1}>
        <MenuList labels={CHOICES} selected={selected} />
      </Box>
      <Notice problem={props.problem} />
    </Frame>
  );
}
