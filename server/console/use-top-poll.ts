import { useEffect, useRef, useState } from 'react';
import type { StatusFigures } from './status-source.js';
import { TopHistory } from './top-history.js';

export interface TopPollState {
  history: TopHistory;
  error: string | null;
  /** Bumped on every poll so the screen redraws. */
  polls: number;
}

/** Poll `read` every `intervalMs` (never two at once) and keep the history of what it answered. */
export function useTopPoll(read: () => Promise<StatusFigures>, intervalMs: number): TopPollState {
  const history = useRef(new TopHistory()).current;
  // The latest reader, without restarting the timer when the caller passes a new function.
  const reader = useRef(read);
  reader.current = read;
  const [state, setState] = useState<{ error: string | null; polls: number }>({ error: null, polls: 0 });
  useEffect(() => {
    let live = true;
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        const figures = await reader.current();
        if (!live) return;
        history.push(figures);
        setState((s) => ({ error: null, polls: s.polls + 1 }));
      } catch (err) {
        if (live) setState((s) => ({ error: (err as Error).message, polls: s.polls + 1 }));
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [intervalMs, history]);
  return { history, ...state };
}
