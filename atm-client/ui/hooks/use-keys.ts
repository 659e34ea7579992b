import type { Key } from 'ink';
import { useContext, useLayoutEffect, useRef } from 'react';
import { type KeyHandler, KeyRouterContext } from '../key-router.js';

/**
 * Listens for keys while `isActive`. Registration and the handler swap both happen at
 * commit, so the first key after a screen change reaches the new screen, and keys typed
 * faster than React re-renders are handled with the latest state.
 */
export function useKeys(handler: (input: string, key: Key) => void, isActive = true): void {
  const router = useContext(KeyRouterContext);
  const latest = useRef<KeyHandler>(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  useLayoutEffect(() => {
    if (!isActive || router === null) return;
    return router.add(latest);
  }, [router, isActive]);
}
