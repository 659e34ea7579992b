import { Box, Text } from 'ink';
import { passwordChecklist } from '../password-checklist.js';

/** The password rules, each ticked once the new password meets it. */
export function PasswordChecklist(props: { password: string }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text dimColor>A new password needs:</Text>
      {passwordChecklist(props.password).map((rule) => (
        <Text key={rule.text} color={rule.met ? 'green' : 'gray'}>
          {rule.met ? '✓' : '·'} {rule.text}
        </Text>
      ))}
    </Box>
  );
}
