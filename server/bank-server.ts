import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { encodeErrorFrame, encodeFrame } from '../protocol/index.js';
import { ServerConnection } from './session/connection.js';
import type { SessionServices } from './session/services.js';
import { identifyTerminal, type TerminalLookup } from './terminals/terminal-gate.js';

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

  constructor(private readonly deps: BankServerDeps) {
    this.server = createServer({
      cert: deps.tls.cert,
      key: deps.tls.key,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // Ask every client for a terminal certificate, require none (PROTOCOL.md §1.1): a refused
      // one is answered with TERMINAL_REFUSED on the first frame rather than a TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      ca: deps.terminals.caCert,
      // The TLS handshake is part of the 10 s the protocol gives the whole handshake.
      handshakeTimeout: deps.limits.handshakeTimeoutMs,
    });
    this.server.on('secureConnection', (socket) => this.onSecureConnection(socket));
    this.server.on('tlsClientError', () => {
      this.deps.metrics.connections.inc({ outcome: 'tls_error' });
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
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
      this.closing = (async () => {
        const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
        await Promise.all([...this.connections].map((c) => c.shutdown()));
        await stopped;
      })();
    }
    return this.closing;
  }

  private onSecureConnection(socket: TLSSocket): void {
    const address = socket.remoteAddress ?? 'unknown';
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
    const connection = new ServerConnection(socket, address, this.deps, verdict);
    this.connections.add(connection);
    void connection.whenClosed().then(() => {
      this.connections.delete(connection);
      this.deps.limiter.releaseConnection(address);
      this.deps.metrics.activeConnections.dec();
    });
    connection.start();
  }
}
