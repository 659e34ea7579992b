import { useInput } from 'ink';
import { type ReactNode, useState } from 'react';
import { createKeyRouter, KeyRouterContext } from '../key-router.js';

/** Owns the ATM's single input subscription; every `useKeys` below hears through it. */
export function KeyboardRoot(props: { children: ReactNode }) {
  const [router] = useState(createKeyRouter);
  useInput(router.dispatch);
  return <KeyRouterContext.Provider value={router}>{props.children}</KeyRouterContext.Provider>;
}
