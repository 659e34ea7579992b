import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { encodeErrorFrame, encodeFrame } from '../protocol/index.js';
import { startAuthoritySweep, sweepSessions } from './session/authority-sweep.js';
import { ServerConnection } from './session/connection.js';
import type { SessionServices } from './session/services.js';
import { identifyTerminal, type TerminalLookup } from './terminals/terminal-gate.js';

/** Connections still in TLS, in all: beyond it a new TCP connection is dropped at once. */
export const MAX_PENDING_TLS = 512;
/** Connections still in TLS from one address: silent sockets cannot hold the server's file descriptors. */
export const MAX_PENDING_TLS_PER_ADDRESS = 64;

/** protocol/README.md §5.1: no session lives longer than 30 min unless configured. */
const DEFAULT_MAX_SESSION_SEC = 1800;

export interface ConnectionLimiter {
  tryOpenConnection(address: string): boolean;
  releaseConnection(address: string): void;
}

export interface BankServerDeps extends SessionServices {
  tls: { cert: string; key: string };
  limiter: ConnectionLimiter;
  /** The terminal CA that ATM client certificates must chain to, and the enrolment records. */
  terminals: { caCert: string; lookup: TerminalLookup };
}

export interface BankServerStats {
  connections: number;
  sessions: number;
  acceptedTotal: number;
  refusedTotal: number;
}

/**
 * The ATM listener: TLS 1.3 only, one ServerConnection per socket, per-address connection
 * limits, and an orderly shutdown that lets committed work answer before closing.
 */
export class BankServer {
  private readonly server: Server;
  private readonly connections = new Set<ServerConnection>();
  private acceptedTotal = 0;
  private refusedTotal = 0;
  private closing: Promise<void> | null = null;
  private stopSweep: (() => void) | null = null;
  /** TCP sockets accepted and not yet through TLS, with when they were accepted. */
  private readonly pendingTls = new Map<Socket, { acceptedAt: number; settle: () => void }>();
  private readonly pendingTlsByAddress = new Map<string, number>();

  constructor(private readonly deps: BankServerDeps) {
    this.server = createServer({
      cert: deps.tls.cert,
      key: deps.tls.key,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // Ask every client for a terminal certificate, require none (protocol/README.md §1.1): a refused
      // one is answered with TERMINAL_REFUSED on the first frame rather than a TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      ca: deps.terminals.caCert,
      // The TLS handshake is part of the 10 s the protocol gives the whole handshake.
      handshakeTimeout: deps.limits.handshakeTimeoutMs,
    });
    this.server.on('connection', (raw: Socket) => this.onTcpConnection(raw));
    this.server.on('secureConnection', (socket) => this.onSecureConnection(socket));
    this.server.on('tlsClientError', () => {
      this.deps.metrics.connections.inc({ outcome: 'tls_error' });
    });
  }

  listen(port: number, host: string): Promise<number> {
    this.stopSweep ??= startAuthoritySweep(this.sweepOptions());
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Check every open session's authority now (after an operator action came in); see authority-sweep.ts. */
  sweepSessions(): Promise<number> {
    return sweepSessions(this.sweepOptions());
  }

  private sweepOptions() {
    return {
      sessions: () => this.connections,
      store: this.deps.ledger.store,
      clock: this.deps.clock,
      maxSessionMs: (this.deps.limits.maxSessionSec ?? DEFAULT_MAX_SESSION_SEC) * 1000,
      onError: (err: unknown) => this.deps.logger.error({ err }, 'session authority sweep failed'),
    };
  }

  get stats(): BankServerStats {
    let sessions = 0;
    for (const c of this.connections) if (c.user !== null && c.currentState === 'open') sessions++;
    return {
      connections: this.connections.size,
      sessions,
      acceptedTotal: this.acceptedTotal,
      refusedTotal: this.refusedTotal,
    };
  }

  /** Open connections that present an enrolled terminal's certificate (for the revocation sweep). */
  terminalConnections(): ServerConnection[] {
    return [...this.connections].filter((c) => c.terminalIdentity !== null);
  }

  /** Stop accepting, send SERVER_SHUTDOWN to open sessions after their in-flight answers, wait for all to close. */
  close(): Promise<void> {
    if (!this.closing) {
      this.stopSweep?.();
      // Connections still in TLS have no session to end: drop them so the listener can close.
      for (const raw of this.pendingTls.keys()) raw.destroy();
      this.closing = (async () => {
        const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
        await Promise.all([...this.connections].map((c) => c.shutdown()));
        await stopped;
      })();
    }
    return this.closing;
  }

  /**
   * Caps on connections that have not finished TLS (globally and per address), counted from TCP
   * accept: nothing can be sent before TLS, so a connection over a cap is dropped at once.
   */
  private onTcpConnection(raw: Socket): void {
    const address = raw.remoteAddress ?? 'unknown';
    const fromAddress = this.pendingTlsByAddress.get(address) ?? 0;
    if (this.pendingTls.size >= MAX_PENDING_TLS || fromAddress >= MAX_PENDING_TLS_PER_ADDRESS) {
      this.refusedTotal++;
      this.deps.metrics.connections.inc({ outcome: 'refused' });
      this.deps.audit.record({ kind: 'rate_limited', address, detail: { reason: 'connections in TLS' } });
      raw.destroy();
      return;
    }
    this.pendingTlsByAddress.set(address, fromAddress + 1);
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      this.pendingTls.delete(raw);
      const left = (this.pendingTlsByAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.pendingTlsByAddress.delete(address);
      else this.pendingTlsByAddress.set(address, left);
    };
    this.pendingTls.set(raw, { acceptedAt: this.deps.clock(), settle });
    raw.once('close', settle);
  }

  /** When the TCP connection under a TLS socket was accepted (now if unknown), and stop counting it as in TLS. */
  private takeAcceptTime(socket: TLSSocket): number {
    const raw = (socket as unknown as { _parent?: Socket })._parent;
    const pending = raw ? this.pendingTls.get(raw) : undefined;
    pending?.settle();
    return pending?.acceptedAt ?? this.deps.clock();
  }

  private onSecureConnection(socket: TLSSocket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const acceptedAt = this.takeAcceptTime(socket);
    // Half-open only once TLS is through (a silent socket that hangs up in TLS just goes): a client
    // that half-closes after pipelining still gets its answers, and the connection ends the socket.
    socket.allowHalfOpen = true;
    socket.on('error', () => {});
    if (this.closing || !this.deps.limiter.tryOpenConnection(address)) {
      this.refusedTotal++;
      this.deps.metrics.connections.inc({ outcome: 'refused' });
      const code = this.closing ? 'SERVER_BUSY' : 'RATE_LIMITED';
      this.deps.audit.record({ kind: 'rate_limited', address, code, detail: { reason: 'connections per address' } });
      socket.end(encodeFrame(encodeErrorFrame(code)));
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    this.acceptedTotal++;
    this.deps.metrics.connections.inc({ outcome: 'accepted' });
    this.deps.metrics.activeConnections.inc();
    const verdict = identifyTerminal(socket, this.deps.terminals.lookup, this.deps.clock());
    const connection = new ServerConnection(socket, address, this.deps, verdict, acceptedAt);
    this.connections.add(connection);
    void connection.whenClosed().then(() => {
      this.connections.delete(connection);
      this.deps.limiter.releaseConnection(address);
      this.deps.metrics.activeConnections.dec();
    });
    connection.start();
  }
}
