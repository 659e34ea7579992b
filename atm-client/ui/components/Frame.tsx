import { Box, Text } from 'ink';
import { type ReactNode, useContext } from 'react';
import { countdownMessage } from '../countdown.js';
import { servingBanner } from '../menu-model.js';
import { StatusContext } from '../status-context.js';

export const FRAME_WIDTH = 64;

/** The ATM's screen: a title bar, the screen's body, its key hints and the idle warning. */
export function Frame(props: { title: string; hints: readonly string[]; children?: ReactNode }) {
  const status = useContext(StatusContext);
  const who = [status.user, status.terminal].filter((part) => part !== null).join(' @ ');
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={FRAME_WIDTH}>
      <Box justifyContent="space-between">
        <Text bold color="cyan">
          SECURE ATM · {props.title}
        </Text>
        <Text dimColor>{who}</Text>
      </Box>
      {status.serving ? (
        <Text bold color="magenta">
          {servingBanner(status.serving.customer, status.serving.teller)}
        </Text>
      ) : null}
      <Box flexDirection="column" marginY={1}>
        {props.children}
      </Box>
      <Text dimColor>{props.hints.join(' · ')}</Text>
      {status.countdown.kind === 'warning' ? (
        <Text color="yellow" bold>
          {countdownMessage(status.countdown.secondsLeft)}
        </Text>
      ) : null}
    </Box>
  );
}
