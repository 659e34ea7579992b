import { Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { Para } from '../components/Para.js';
import { useKeys } from '../hooks/use-keys.js';

/** A success without a receipt (password changed, two-factor on). */
export function DoneScreen(props: { title: string; lines: readonly string[]; onDone: () => void }) {
  useKeys((_input, key) => {
    if (key.return || key.escape) props.onDone();
  });
  return (
    <Frame title={props.title} hints={['Enter main menu']}>
      <Text bold color="green">
        ✓ {props.title}
      </Text>
      {props.lines.map((line) => (
        <Para key={line}>{line}</Para>
      ))}
    </Frame>
  );
}
