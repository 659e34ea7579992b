import { useKeys } from '../hooks/use-keys.js';
import { Frame } from './Frame.js';
import { Para } from './Para.js';

/** "Is this right?": Enter goes ahead, Esc goes back to change it. */
export function ConfirmStep(props: {
  title: string;
  lines: readonly string[];
  onConfirm: () => void;
  onCancel: () => void;
}) {
  useKeys((input, key) => {
    if (key.return || input === 'y') props.onConfirm();
    else if (key.escape || input === 'n') props.onCancel();
  });
  return (
    <Frame title={props.title} hints={['Enter confirm', 'Esc change']}>
      {props.lines.map((line) => (
        <Para key={line}>{line}</Para>
      ))}
    </Frame>
  );
}
