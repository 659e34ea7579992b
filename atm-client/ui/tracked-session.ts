import type { BankSession } from '../client/types.js';

/** How many requests are waiting for their answer. */
export interface InFlight {
  count: number;
}

/** What the wrapper reads from the session as it is now, untouched. */
const PASSED_THROUGH = ['user', 'sessionId', 'idleTimeoutSec', 'terminal', 'role', 'servedCustomer'] as const;
type PassedThrough = (typeof PASSED_THROUGH)[number];

/**
 * Wraps a session so every request stamps "activity": the server's idle timer restarts
 * on each request, and so does the ATM's countdown. `inFlight` counts the requests still
 * waiting, so a dropped connection can be told apart from a dropped request.
 */
export function trackActivity(
  session: BankSession,
  onRequest: () => void,
  inFlight: InFlight = { count: 0 },
): BankSession {
  const stamp = <T>(call: () => Promise<T>): Promise<T> => {
    onRequest();
    inFlight.count += 1;
    return call().finally(() => {
      inFlight.count -= 1;
    });
  };
  const tracked: Omit<BankSession, PassedThrough> = {
    balance: () => stamp(() => session.balance()),
    deposit: (amountCents, options) => stamp(() => session.deposit(amountCents, options)),
    withdraw: (amountCents, options) => stamp(() => session.withdraw(amountCents, options)),
    transfer: (to, amountCents, options) => stamp(() => session.transfer(to, amountCents, options)),
    reverse: (txId, reason, options) => stamp(() => session.reverse(txId, reason, options)),
    history: (query) => stamp(() => session.history(query)),
    changePassword: (current, next, options) => stamp(() => session.changePassword(current, next, options)),
    updateContact: (contact, options) => stamp(() => session.updateContact(contact, options)),
    totpEnroll: (password, totp) => stamp(() => session.totpEnroll(password, totp)),
    totpDisable: (password, totp, options) => stamp(() => session.totpDisable(password, totp, options)),
    totpConfirm: (code, options) => stamp(() => session.totpConfirm(code, options)),
    ping: () => stamp(() => session.ping()),
    serve: (user, password, totp) => stamp(() => session.serve(user, password, totp)),
    release: () => stamp(() => session.release()),
    openAccount: (user, password, options) => stamp(() => session.openAccount(user, password, options)),
    logout: () => stamp(() => session.logout()),
    close: () => session.close(),
    onNotice: (listener) => session.onNotice(listener),
    onClose: (listener) => session.onClose(listener),
    onRetry: (listener) => session.onRetry(listener),
  };
  // The session's own state, read live (it changes when the library reconnects or serves someone).
  for (const key of PASSED_THROUGH) Object.defineProperty(tracked, key, { get: () => session[key], enumerable: true });
  return tracked as BankSession;
}
