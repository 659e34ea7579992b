import { Frame } from './Frame.js';
import { Para } from './Para.js';

/** Shown while the bank (or the dispenser) works; keys are ignored meanwhile. */
export function WorkingStep(props: { title: string; message: string }) {
  return (
    <Frame title={props.title} hints={['please wait']}>
      <Para color="yellow">{props.message}</Para>
    </Frame>
  );
}
