import { Text } from 'ink';

/** A one-line message under a form: a problem in red, or "please wait" while a call runs. */
export function Notice(props: { problem?: string | null; pending?: boolean; pendingText?: string }) {
  if (props.pending) return <Text color="yellow">{props.pendingText ?? 'Please wait…'}</Text>;
  if (props.problem) return <Text color="red">{props.problem}</Text>;
  return null;
}
