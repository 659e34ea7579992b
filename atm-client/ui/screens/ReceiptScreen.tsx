import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { Para } from '../components/Para.js';
import { useKeys } from '../hooks/use-keys.js';
import { type Receipt, receiptHeadline, receiptRows } from '../receipt.js';

export function ReceiptScreen(props: {
  receipt: Receipt;
  terminal?: string | undefined;
  counter?: { customer: string; teller: string } | undefined;
  onDone: () => void;
}) {
  useKeys((_input, key) => {
    if (key.return || key.escape) props.onDone();
  });
  const { receipt } = props;
  const rows = receiptRows(receipt, props.terminal, props.counter);
  return (
    <Frame title="Receipt" hints={['Enter main menu']}>
      <Text bold color="green">
        {receiptHeadline(receipt)}
      </Text>
      {receipt.kind === 'reversal' ? (
        <Para>Sorry, the cash could not be dispensed. Nothing was taken from your account.</Para>
      ) : null}
      {receipt.replayed ? <Text dimColor>(The bank had already done this; nothing was done twice.)</Text> : null}
      <Box flexDirection="column" marginTop={1} borderStyle="single" borderDimColor paddingX={1}>
        {rows.map((row) => (
          <Box key={row.label} justifyContent="space-between">
            <Text>{row.label}</Text>
            <Text bold>{row.value}</Text>
          </Box>
        ))}
      </Box>
    </Frame>
  );
}
