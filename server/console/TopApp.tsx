import { useApp, useInput } from 'ink';
import type { StatusFigures } from './status-source.js';
import { TopScreen } from './TopScreen.js';
import { topLines } from './top-view.js';
import { useTopPoll } from './use-top-poll.js';

export interface TopAppProps {
  endpoint: string;
  read: () => Promise<StatusFigures>;
  intervalMs?: number;
  now?: () => number;
}

/** `bank-server top`: the live screen; `q` (or Ctrl+C) quits. */
export function TopApp(props: TopAppProps) {
  const { exit } = useApp();
  const { history, error } = useTopPoll(props.read, props.intervalMs ?? 1_000);
  useInput((input, key) => {
    if (input === 'q' || input === 'Q' || (key.ctrl && input === 'c')) exit();
  });
  const lines = topLines({
    endpoint: props.endpoint,
    figures: history.latest,
    tick: history.lastTick,
    ticks: history.ticks,
    nowMs: (props.now ?? Date.now)(),
    error,
    interactive: true,
  });
  return <TopScreen lines={lines} />;
}
