import { Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { Para } from '../components/Para.js';
import { useKeys } from '../hooks/use-keys.js';

/** What the error boundary shows instead of a stack trace. */
export function CrashScreen(props: { onRestart: () => void }) {
  useKeys((_input, key) => {
    if (key.return || key.escape) props.onRestart();
  });
  return (
    <Frame title="Out of order" hints={['Enter start again']}>
      <Text bold color="red">
        Sorry, this ATM hit a problem.
      </Text>
      <Para>For your safety the session was closed. Check your balance before trying again.</Para>
    </Frame>
  );
}
