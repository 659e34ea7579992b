import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { historyRow } from '../history-view.js';
import { useHistory } from '../hooks/use-history.js';
import { useKeys } from '../hooks/use-keys.js';
import type { SessionScreenProps } from './screen-props.js';

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
          {page.entries.map((entry) => {
            const row = historyRow(entry);
            return (
              <Box key={row.txId}>
                <Box width={17}>
                  <Text dimColor>{row.date}</Text>
                </Box>
                <Box width={20}>
                  <Text wrap="truncate-end">{row.what}</Text>
                </Box>
                <Box width={11} justifyContent="flex-end">
                  <Text color={entry.amountCents < 0 ? 'red' : 'green'}>{row.amount}</Text>
                </Box>
                <Box width={12} justifyContent="flex-end">
                  <Text>{row.balance}</Text>
                </Box>
              </Box>
            );
          })}
          {page.next === null ? <Text dimColor>— end of statement —</Text> : null}
        </Box>
      )}
    </Frame>
  );
}
