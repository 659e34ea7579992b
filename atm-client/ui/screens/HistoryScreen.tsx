import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { historyRow } from '../history-view.js';
import { useHistory } from '../hooks/use-history.js';
import { useKeys } from '../hooks/use-keys.js';
import type { SessionScreenProps } from './screen-props.js';

/** One line of the statement, in fixed columns that add up to the frame's 60. */
function Row(props: { date: string; what: string; amount: string; balance: string; header?: boolean; out?: boolean }) {
  const style = props.header ? { bold: true } : {};
  return (
    <Box>
      <Box width={17}>
        <Text dimColor={!props.header} {...style}>
          {props.date}
        </Text>
      </Box>
      <Box width={20}>
        <Text wrap="truncate-end" {...style}>
          {props.what}
        </Text>
      </Box>
      <Box width={11} justifyContent="flex-end">
        <Text {...(props.header ? style : { color: props.out ? 'red' : 'green' })}>{props.amount}</Text>
      </Box>
      <Box width={12} justifyContent="flex-end">
        <Text {...style}>{props.balance}</Text>
      </Box>
    </Box>
  );
}

export function HistoryScreen(props: SessionScreenProps) {
  const history = useHistory(props.session, props.nav);
  useKeys((input, key) => {
    if (key.escape || key.return) props.nav.back();
    else if (key.downArrow || key.rightArrow || key.pageDown || input === 'n') history.older();
    else if (key.upArrow || key.leftArrow || key.pageUp || input === 'p') history.newer();
  });
  const { page } = history;
  const hints = [
    ...(page?.next ? ['→ or n older'] : []),
    ...(history.pageNumber > 1 ? ['← or p newer'] : []),
    'Enter or Esc main menu',
  ];
  return (
    <Frame title={`Mini-statement · page ${history.pageNumber}`} hints={hints}>
      {page === null || history.pending ? (
        <Text color="yellow">Fetching your transactions…</Text>
      ) : page.entries.length === 0 ? (
        <Text>No transactions yet.</Text>
      ) : (
        <Box flexDirection="column">
          <Row date="Date (UTC)" what="Transaction" amount="Amount" balance="Balance" header />
          {page.entries.map((entry) => {
            const row = historyRow(entry);
            return <Row key={row.txId} {...row} out={entry.amountCents < 0} />;
          })}
          {page.next === null ? <Text dimColor>— end of statement —</Text> : null}
        </Box>
      )}
    </Frame>
  );
}
