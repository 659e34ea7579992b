import { randomUUID } from 'node:crypto';
import type { AuthMethod } from '../../protocol/index.js';
import { retryWhileBusy } from './backoff.js';
import { ClientSession, type OpenedConnection } from './client-session.js';
import { type Clock, systemClock } from './clock.js';
import { runHandshake } from './handshake.js';
import { SealedConnection } from './sealed-connection.js';
import { loadTerminalIdentity } from './terminal-identity.js';
import { type Dialer, dialTls } from './tls-dial.js';
import type { BankConnector, BankSession, ConnectOptions, Credentials, Outcome } from './types.js';

/** Seams for tests and tools: how to open a link, which timers, how request ids are made. */
export interface ConnectorDeps {
  dial?: Dialer;
  clock?: Clock;
  newId?: () => string;
  /** For the jitter on every wait (default Math.random). */
  random?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_RETRY_BACKOFF_MS = 200;

/**
 * A connector for one bank address. Each `login` / `register` opens its own TLS 1.3
 * connection, runs the handshake and returns a session; nothing is shared between sessions.
 */
export function createConnector(options: ConnectOptions, deps: ConnectorDeps = {}): BankConnector {
  const dial = deps.dial ?? dialTls;
  const clock = deps.clock ?? systemClock;
  const newId = deps.newId ?? randomUUID;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const random = deps.random ?? Math.random;

  // Read once: the id the certificate names is what hello.terminal repeats (protocol/README.md §1.1).
  const terminal = loadTerminalIdentity(options.terminalCert, options.terminalKey);
  const identity = terminal.ok ? terminal.identity : null;

  // A bank that sheds load says SERVER_BUSY + retryAfterMs: wait about that long (jittered), try again.
  const open = (method: AuthMethod, credentials: Credentials): Promise<Outcome<OpenedConnection>> =>
    retryWhileBusy(() => openOnce(method, credentials), {
      clock,
      random,
      ...(options.maxBusyRetries === undefined ? {} : { maxRetries: options.maxBusyRetries }),
    });

  const openOnce = async (method: AuthMethod, credentials: Credentials): Promise<Outcome<OpenedConnection>> => {
    if (!terminal.ok) return { ok: false, error: { code: 'TLS_ERROR', message: terminal.message } };
    const link = await dial({
      host: options.host,
      port: options.port,
      timeoutMs,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(identity ? { clientCert: { cert: identity.cert, key: identity.key } } : {}),
      ...(options.dangerouslySkipCertificateVerification === true
        ? { dangerouslySkipCertificateVerification: true }
        : {}),
    });
    if (!link.ok) return link;
    const handshake = await runHandshake(link.value, {
      method,
      credentials,
      terminal: identity?.id,
      timeoutMs,
      clock,
    });
    if (!handshake.ok) return handshake;
    const connection = new SealedConnection(link.value, handshake.value.channel);
    return { ok: true, value: { connection, welcome: handshake.value.welcome } };
  };

  const start = async (method: AuthMethod, credentials: Credentials): Promise<Outcome<BankSession>> => {
    const opened = await open(method, credentials);
    if (!opened.ok) return opened;
    const session = new ClientSession(opened.value, credentials, {
      terminal: identity?.id ?? null,
      // Whatever opened the account, getting back in after a drop is a plain login.
      reopen: (again) => open('password', again),
      clock,
      newId,
      random,
      timeoutMs,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      retryBackoffMs: options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
    });
    return { ok: true, value: session };
  };

  return {
    login: (credentials) => start('password', credentials),
    register: (credentials) => start('register', credentials),
  };
}

/** One call for the common case: connect, then log in (or register with `register: true`). */
export function connect(
  options: ConnectOptions & { credentials: Credentials; register?: boolean },
  deps: ConnectorDeps = {},
): Promise<Outcome<BankSession>> {
  const { credentials, register, ...connectOptions } = options;
  const connector = createConnector(connectOptions, deps);
  return register === true ? connector.register(credentials) : connector.login(credentials);
}
