/**
 * The ATM's client library: TLS 1.3 to the bank, the secure-atm/1 handshake, sealed
 * frames, pipelined requests answered in order, and lost answers recovered by re-sending
 * the same request id on a fresh login. No React, no process globals.
 * @packageDocumentation
 */

/** The default CA path (`./bank-data/tls/ca.crt`). */
export { DEFAULT_CA_PATH } from './ca-source.js';
/** Default words for the client-only error codes, and helpers to build errors as values. */
export { CLIENT_ERROR_MESSAGES, clientError, defaultMessage } from './client-errors.js';
/** Injected timers. */
export { type Clock, systemClock } from './clock.js';
/** `createConnector(options)` → BankConnector; `connect(...)` logs in in one call. */
export {
  type ConnectorDeps,
  connect,
  createConnector,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BACKOFF_MS,
  DEFAULT_TIMEOUT_MS,
} from './connector.js';
/** The seam between sockets and protocol logic, for tests and tools. */
export type { FrameLink, LinkEvent } from './frame-link.js';
/** Decimal money text ↔ integer cents, without floats. */
export { formatCents, formatMoney, type MoneyParse, parseMoney } from './money.js';
/** The dialer type and the TLS dialer the connector uses by default. */
export { type Dialer, type DialTarget, dialTls } from './tls-dial.js';
/** The contract every ATM front end codes against. */
export type * from './types.js';
