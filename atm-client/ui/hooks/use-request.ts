import { useCallback, useRef, useState } from 'react';
import type { Outcome } from '../../client/types.js';
import { fromClientError, type UiError, unexpectedError } from '../error-text.js';
import { useMounted } from './use-mounted.js';

export type UiOutcome<T> = { ok: true; value: T } | { ok: false; error: UiError };

/**
 * Runs one bank call at a time for a screen: tracks `pending` (so a second Enter does not
 * send a second request), turns a throw into an error value, and drops answers that
 * arrive after the screen has gone (null).
 */
export function useRequest(): {
  pending: boolean;
  run: <T>(call: () => Promise<Outcome<T>>) => Promise<UiOutcome<T> | null>;
} {
  const [pending, setPending] = useState(false);
  const busy = useRef(false);
  const mounted = useMounted();

  const run = useCallback(
    async <T>(call: () => Promise<Outcome<T>>): Promise<UiOutcome<T> | null> => {
      if (busy.current) return null;
      busy.current = true;
      setPending(true);
      let outcome: UiOutcome<T>;
      try {
        const result = await call();
        outcome = result.ok ? result : { ok: false, error: fromClientError(result.error) };
      } catch {
        outcome = { ok: false, error: unexpectedError() };
      }
      busy.current = false;
      if (!mounted.current) return null;
      setPending(false);
      return outcome;
    },
    [mounted],
  );

  return { pending, run };
}
