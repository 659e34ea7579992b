import { useCallback, useEffect, useRef, useState } from 'react';
import type { BankSession } from '../../client/types.js';
import { type Clock, withinOn } from '../clock.js';
import type { UiError } from '../error-text.js';
import { type InFlight, trackActivity } from '../tracked-session.js';

/** How long a farewell logout may take before the ATM just closes the connection. */
const LOGOUT_WAIT_MS = 3000;

export interface BankSessionControls {
  /** The logged-in session (stamping activity on every request), or null. */
  session: BankSession | null;
  /** When the last request was sent (clock ms). */
  lastActivityAt: number;
  begin: (session: BankSession) => void;
  /** Ends the session on the ATM's initiative: it is not reported as lost. */
  end: (mode: 'logout' | 'close') => Promise<void>;
}

/**
 * Holds the one live session. Notices and closes the ATM did not ask for are reported
 * through `onLost` exactly once; the connection is always closed when the hook goes away.
 */
export function useBankSession(options: { clock: Clock; onLost: (error: UiError) => void }): BankSessionControls {
  const { clock } = options;
  const [session, setSession] = useState<BankSession | null>(null);
  const [lastActivityAt, setLastActivityAt] = useState(() => clock.now());
  const raw = useRef<BankSession | null>(null);
  const unsubscribe = useRef<Array<() => void>>([]);
  const inFlight = useRef<InFlight>({ count: 0 });
  const onLost = useRef(options.onLost);
  onLost.current = options.onLost;

  const detach = useCallback((): BankSession | null => {
    for (const stop of unsubscribe.current) stop();
    unsubscribe.current = [];
    const previous = raw.current;
    raw.current = null;
    return previous;
  }, []);

  const lose = useCallback(
    (error: UiError) => {
      const previous = detach();
      if (!previous) return;
      previous.close();
      setSession(null);
      // Nothing was waiting for an answer: nothing can be unconfirmed, and the words say so.
      onLost.current(
        error.code === 'CONNECTION_LOST' && inFlight.current.count === 0 ? { ...error, whileIdle: true } : error,
      );
    },
    [detach],
  );

  const begin = useCallback(
    (next: BankSession) => {
      detach()?.close();
      raw.current = next;
      unsubscribe.current = [
        next.onNotice((notice) => lose({ code: notice.notice, message: notice.message })),
        next.onClose((reason) => lose(reason ?? { code: 'SESSION_CLOSED', message: 'the bank closed the connection' })),
      ];
      setLastActivityAt(clock.now());
      inFlight.current = { count: 0 };
      setSession(trackActivity(next, () => setLastActivityAt(clock.now()), inFlight.current));
    },
    [clock, detach, lose],
  );

  const end = useCallback(
    async (mode: 'logout' | 'close') => {
      const previous = detach();
      setSession(null);
      if (!previous) return;
      if (mode === 'logout') {
        try {
          await withinOn(clock, LOGOUT_WAIT_MS, previous.logout());
        } catch {
          // The customer is leaving either way; closing below is what matters.
        }
      }
      previous.close();
    },
    [clock, detach],
  );

  useEffect(() => () => detach()?.close(), [detach]);

  return { session, lastActivityAt, begin, end };
}
