import type { Key } from 'ink';
import { createContext } from 'react';
import { type Keystroke, splitKeystrokes } from './keystrokes.js';

/**
 * One subscription to Ink's input for the whole ATM, fanning keys out to the handlers of
 * the screens on show. Screens register in layout effects, which run as the screen is
 * committed; Ink's own per-hook subscriptions start in passive effects, tens of
 * milliseconds later, and a key typed in between would be lost.
 *
 * A chunk of several keys: the first is heard inside Ink's batched update, which renders
 * only when the handler returns; the rest are heard on the next turn of the event loop,
 * outside any batch, where each update renders at once. Either way a key that changes the
 * screen is rendered, and the new screen listening, before the next key is heard.
 */
export type KeyHandler = (input: string, key: Key) => void;

export interface KeyRouter {
  add: (handler: { current: KeyHandler }) => () => void;
  dispatch: (input: string, key: Key) => void;
}

export function createKeyRouter(defer: (next: () => void) => void = setImmediate): KeyRouter {
  const handlers = new Set<{ current: KeyHandler }>();
  const queue: Keystroke[] = [];

  const deliver = ({ input, key }: Keystroke) => {
    // A snapshot: a handler that changes the screen must not change who hears this key.
    for (const handler of [...handlers]) handler.current(input, key);
  };

  const drain = () => {
    for (let next = queue.shift(); next; next = queue.shift()) deliver(next);
  };

  return {
    add(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    dispatch(input, key) {
      const [first, ...rest] = splitKeystrokes(input, key);
      if (queue.length > 0) {
        // Keys already waiting go first; the drain that is due reaches these too.
        if (first) queue.push(first, ...rest);
        return;
      }
      if (first) deliver(first);
      if (rest.length > 0) {
        queue.push(...rest);
        defer(drain);
      }
    },
  };
}

export const KeyRouterContext = createContext<KeyRouter | null>(null);
