import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { encodeFrame, WIRE_ERRORS } from '../protocol/index.js';
import { startAuthoritySweep } from './session/authority-sweep.js';
import { ServerConnection } from './session/connection.js';
import type { SessionServices } from './session/services.js';

/** PROTOCOL.md §5.1: no session lives longer than 30 min unless configured. */
const DEFAULT_MAX_SESSION_SEC = 1800;

export interface ConnectionLimiter {
  tryOpenConnection(address: string): boolean;
  releaseConnection(address: string): void;
}

export interface BankServerDeps extends SessionServices {
  tls: { cert: string; key: string };
  limiter: ConnectionLimiter;
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

  constructor(private readonly deps: BankServerDeps) {
    this.server = createServer({
      cert: deps.tls.cert,
      key: deps.tls.key,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // The TLS handshake is part of the 10 s the protocol gives the whole handshake.
      handshakeTimeout: deps.limits.handshakeTimeoutMs,
    });
    this.server.on('secureConnection', (socket) => this.onSecureConnection(socket));
    this.server.on('tlsClientError', () => {
      this.deps.metrics.connections.inc({ outcome: 'tls_error' });
    });
  }

  listen(port: number, host: string): Promise<number> {
    this.stopSweep ??= startAuthoritySweep({
      sessions: () => this.connections,
      store: this.deps.ledger.store,
      clock: this.deps.clock,
      maxSessionMs: (this.deps.limits.maxSessionSec ?? DEFAULT_MAX_SESSION_SEC) * 1000,
      onError: (err) => this.deps.logger.error({ err }, 'session authority sweep failed'),
    });
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

  /** Stop accepting, send SERVER_SHUTDOWN to open sessions after their in-flight answers, wait for all to close. */
  close(): Promise<void> {
    if (!this.closing) {
      this.stopSweep?.();
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
      socket.end(encodeFrame(JSON.stringify({ type: 'error', code, message: WIRE_ERRORS[code] })));
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    this.acceptedTotal++;
    this.deps.metrics.connections.inc({ outcome: 'accepted' });
    this.deps.metrics.activeConnections.inc();
    const connection = new ServerConnection(socket, address, this.deps);
    this.connections.add(connection);
    void connection.whenClosed().then(() => {
      this.connections.delete(connection);
      this.deps.limiter.releaseConnection(address);
      this.deps.metrics.activeConnections.dec();
    });
    connection.start();
  }
}
