import { Text } from 'ink';
import { useState } from 'react';
import { useForm } from '../hooks/use-form.js';
import { AMOUNT_PROBLEM_TEXT, centsToDecimal, isAmountChar, parseAmount } from '../money.js';
import type { FieldSpec } from '../text-edit.js';
import { FormFields } from './FormFields.js';
import { Frame } from './Frame.js';
import { Notice } from './Notice.js';
import { Para } from './Para.js';

const AMOUNT_FIELDS: readonly FieldSpec[] = [
  { name: 'amount', label: 'Amount $', accept: isAmountChar, maxLength: 16 },
];

/** A screen step that asks for an amount in dollars and cents and hands back cents. */
export function AmountEntry(props: {
  title: string;
  prompt: string;
  /** The amount to start from (coming back from a confirm step keeps it). */
  initialCents?: number | undefined;
  /** Lines under the prompt, e.g. the limits that apply. */
  notes?: readonly string[];
  /** Takes the amount; a problem (string) it returns is shown and the amount stays for editing. */
  onAmount: (cents: number) => unknown;
  onCancel: () => void;
}) {
  const [problem, setProblem] = useState<string | null>(null);
  const { state } = useForm(AMOUNT_FIELDS, {
    initial: props.initialCents === undefined ? undefined : { amount: centsToDecimal(props.initialCents) },
    onSubmit: (values) => {
      const parsed = parseAmount(values.amount ?? '');
      if (!parsed.ok) return setProblem(AMOUNT_PROBLEM_TEXT[parsed.problem]);
      const problem = props.onAmount(parsed.cents);
      setProblem(typeof problem === 'string' ? problem : null);
    },
    onCancel: props.onCancel,
    onEdit: () => setProblem(null),
  });
  return (
    <Frame title={props.title} hints={['type the amount, e.g. 25.50', 'Enter continue', 'Esc back']}>
      <Para>{props.prompt}</Para>
      {props.notes?.map((note) => (
        <Text key={note} dimColor>
          {note}
        </Text>
      ))}
      <FormFields fields={AMOUNT_FIELDS} state={state} />
      <Notice problem={problem} />
    </Frame>
  );
}
