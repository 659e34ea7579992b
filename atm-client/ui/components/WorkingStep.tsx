import { Text } from 'ink';
import { Frame } from './Frame.js';

/** Shown while the bank (or the dispenser) works; keys are ignored meanwhile. */
export function WorkingStep(props: { title: string; message: string }) {
  return (
    <Frame title={props.title} hints={['please wait']}>
      <Text color="yellow">{props.message}</Text>
    </Frame>
  );
}
