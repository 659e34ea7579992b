import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:tls';

/**
 * What the bench's own TLS servers (raw-echo-server.ts, floor-server.ts) share: their options, the
 * bank's TLS (its certificate, TLS 1.3 only), and how they start and stop. Each prints one JSON line
 * {"msg":"listening","port":N} when ready; SIGTERM/SIGINT or the end of its stdin (the bench that
 * started it is gone) stop it.
 */

/** `--name value` from the command line, or `fallback`. */
export function programOption(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

/** `--name value`, or one line on stderr and exit 2. */
export function requiredOption(program: string, name: string): string {
  const value = programOption(name);
  if (value === undefined) {
    process.stderr.write(`${program}: --${name} is required\n`);
    process.exit(2);
  }
  return value;
}

/** A TLS 1.3 server with the certificate and key named by --cert and --key. */
export function benchTlsServer(program: string): Server {
  return createServer({
    cert: readFileSync(requiredOption(program, 'cert')),
    key: readFileSync(requiredOption(program, 'key')),
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  });
}

/** Listen on --host/--port (127.0.0.1, any free port) until told to stop; `onStop` runs first. */
export function serveUntilStopped(server: Server, onStop: () => void = () => {}): void {
  server.listen(Number(programOption('port', '0')), programOption('host', '127.0.0.1'), () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => {
    onStop();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The bench keeps our stdin open; when it goes away (even SIGKILLed), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
