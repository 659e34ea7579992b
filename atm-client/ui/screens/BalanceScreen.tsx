import { Text } from 'ink';
import { formatTimestamp } from '../clock.js';
import { Frame } from '../components/Frame.js';
import { useBalance } from '../hooks/use-balance.js';
import { useKeys } from '../hooks/use-keys.js';
import { formatCents } from '../money.js';
import type { SessionScreenProps } from './screen-props.js';

export function BalanceScreen(props: SessionScreenProps & { onTwoFactor?: (on: boolean) => void }) {
  const view = useBalance(props.session, props.nav, props.clock, props.onTwoFactor);
  useKeys((_input, key) => {
    if (key.return || key.escape) props.nav.back();
  });
  return (
    <Frame title="Balance" hints={['Enter or Esc main menu']}>
      {view === null ? (
        <Text color="yellow">Asking the bank for your balance…</Text>
      ) : (
        <>
          <Text>Available balance</Text>
          <Text bold color="green">
            {formatCents(view.balanceCents, view.currency)}
          </Text>
          <Text dimColor>as of {formatTimestamp(view.at)}</Text>
        </>
      )}
    </Frame>
  );
}
