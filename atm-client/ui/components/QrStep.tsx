import { Box, Text } from 'ink';
import { useContext, useMemo } from 'react';
import { countdownMessage } from '../countdown.js';
import { useKeys } from '../hooks/use-keys.js';
import { TerminalSizeContext } from '../hooks/use-terminal-size.js';
import { drawQr, groupSecret } from '../qr.js';
import { StatusContext } from '../status-context.js';
import { wrapWords } from '../text-wrap.js';
import { Frame } from './Frame.js';

/** Room the words beside the code need; below that they go under it, on one line. */
const SIDE_TEXT_COLUMNS = 26;
const BELOW_TEXT = 'Scan with your authenticator app · Enter next · Esc cancel';

/**
 * The QR code on a screen of its own, without the frame, so that it fits an 80×24
 * terminal: the code on the left and a few words beside it, or one line under it. When
 * even that does not fit, the secret is shown to type in instead.
 */
export function QrStep(props: { otpauthUri: string; secret: string; onNext: () => void; onCancel: () => void }) {
  const size = useContext(TerminalSizeContext);
  const { countdown } = useContext(StatusContext);
  // Without the frame the idle warning would be lost: it goes beside (or under) the code.
  const warning = countdown.kind === 'warning' ? countdownMessage(countdown.secondsLeft) : null;
  useKeys((_input, key) => {
    if (key.return) props.onNext();
    else if (key.escape) props.onCancel();
  });
  const layout = useMemo(() => {
    const beside = drawQr(props.otpauthUri, size.columns - SIDE_TEXT_COLUMNS, size.rows);
    if (beside) return { qr: beside, beside: true };
    const below = drawQr(props.otpauthUri, size.columns, size.rows - 1);
    return below ? { qr: below, beside: false } : null;
  }, [props.otpauthUri, size.columns, size.rows]);

  if (layout === null) {
    return (
      <Frame title="Two-factor login" hints={['Enter next', 'Esc cancel']}>
        <Text>The window is too small for the QR code; make it taller, or type this secret into your app:</Text>
        <Text bold>{groupSecret(props.secret)}</Text>
      </Frame>
    );
  }
  const code = (
    <Box flexDirection="column" width={layout.qr.columns} flexShrink={0}>
      {layout.qr.lines.map((line, row) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows of a fixed picture
        <Text key={row} color="white" backgroundColor="black" wrap="truncate">
          {line}
        </Text>
      ))}
    </Box>
  );
  if (!layout.beside) {
    return (
      <Box flexDirection="column">
        {code}
        <Text wrap="truncate" {...(warning ? { color: 'yellow', bold: true } : {})}>
          {warning ?? BELOW_TEXT}
        </Text>
      </Box>
    );
  }
  return (
    <Box>
      {code}
      <Box flexDirection="column" marginLeft={2} width={SIDE_TEXT_COLUMNS - 2}>
        <Text bold color="cyan">
          SECURE ATM
        </Text>
        <Text bold>Two-factor login</Text>
        <Text> </Text>
        <Text>Scan this code with</Text>
        <Text>your authenticator app.</Text>
        <Text> </Text>
        <Text>Enter then type the</Text>
        <Text>code the app shows</Text>
        <Text>Esc cancel</Text>
        {warning ? (
          <Box marginTop={1}>
            <Text color="yellow" bold>
              {wrapWords(warning, SIDE_TEXT_COLUMNS - 2).join('\n')}
            </Text>
          </Box>
        ) : null}
      </Box>
    </Box>
  );
}
