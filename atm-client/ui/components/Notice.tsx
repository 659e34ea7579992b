import { Para } from './Para.js';

/** A one-line message under a form: a problem in red, or "please wait" while a call runs. */
export function Notice(props: { problem?: string | null; pending?: boolean; pendingText?: string }) {
  if (props.pending) return <Para color="yellow">{props.pendingText ?? 'Please wait…'}</Para>;
  if (props.problem) return <Para color="red">{props.problem}</Para>;
  return null;
}
