import { createContext } from 'react';
import type { CountdownState } from './countdown.js';

/** What every screen's frame shows around the screen itself. */
export interface AtmStatus {
  countdown: CountdownState;
  user: string | null;
  terminal: string | null;
  /** While a teller serves a customer: both names, for the banner on every screen. */
  serving?: { customer: string; teller: string } | null;
}

export const StatusContext = createContext<AtmStatus>({ countdown: { kind: 'quiet' }, user: null, terminal: null });
