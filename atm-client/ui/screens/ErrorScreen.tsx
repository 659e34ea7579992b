import { Box, Text } from 'ink';
import { Frame } from '../components/Frame.js';
import { Para } from '../components/Para.js';
import { describeUiError, type UiError } from '../error-text.js';
import { useKeys } from '../hooks/use-keys.js';

/** An error in plain words, with what to do next; the code is shown small for staff. */
export function ErrorScreen(props: { error: UiError; continueLabel: string; onContinue: () => void }) {
  useKeys((_input, key) => {
    if (key.return || key.escape) props.onContinue();
  });
  const text = describeUiError(props.error);
  return (
    <Frame title="Sorry" hints={[`Enter or Esc ${props.continueLabel}`]}>
      <Para bold color="red">
        {text.title}
      </Para>
      <Para>{text.advice}</Para>
      {props.error.detail ? (
        <Box marginTop={1}>
          <Para color="yellow">{props.error.detail}</Para>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <Text dimColor>Code: {props.error.code}</Text>
      </Box>
    </Frame>
  );
}
