import { type Key, useInput } from 'ink';
import { type ReactNode, useRef, useState } from 'react';
import { createKeyRouter, KeyRouterContext } from '../key-router.js';

/**
 * Owns the ATM's single input subscription; every `useKeys` below hears through it.
 * While `paused` (the window is too small to show the screen) only Ctrl+C gets through:
 * keys typed at a screen nobody can see must not move money.
 */
export function KeyboardRoot(props: { children: ReactNode; paused?: boolean }) {
  const [router] = useState(createKeyRouter);
  const paused = useRef(false);
  paused.current = props.paused ?? false;
  useInput((input: string, key: Key) => {
    if (paused.current && !(key.ctrl && input === 'c')) return;
    router.dispatch(input, key);
  });
  return <KeyRouterContext.Provider value={router}>{props.children}</KeyRouterContext.Provider>;
}
