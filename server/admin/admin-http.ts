import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { serveDashboard } from './dashboard-assets.js';

export interface AdminHttpDeps {
  registry: Registry;
  /** The JSON for /status. */
  status: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** /healthz is 200 while this says true. */
  healthy: () => boolean;
  /** /audit/head: the newest signed audit checkpoint on disk, null before the first one. */
  auditHead?: () => object | null;
}

/** Operators' HTTP: the dashboard at /, /metrics (Prometheus text), /healthz, /status. Bound to 127.0.0.1 only. */
export class AdminHttp {
  private readonly server: Server;

  constructor(private readonly deps: AdminHttpDeps) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' });
      res.end('method not allowed\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (await serveDashboard(path, res)) return;
    if (path === '/metrics') {
      const body = await this.deps.registry.metrics();
      res.writeHead(200, { 'content-type': this.deps.registry.contentType });
      res.end(body);
    } else if (path === '/healthz') {
      const ok = this.deps.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'stopping\n');
    } else if (path === '/audit/head') {
      // A witness keeps what this returns: only a signed checkpoint that is already on disk.
      const head = this.deps.auditHead?.() ?? null;
      res.writeHead(head ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${JSON.stringify(head ?? { error: 'no signed audit checkpoint yet' })}\n`);
    } else if (path === '/status') {
      const body = JSON.stringify(await this.deps.status());
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(`${body}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics, /healthz, /status or /audit/head\n');
    }
  }
}
