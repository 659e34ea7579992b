import { readFileSync } from 'node:fs';

/** Where the CA certificate lives when nobody says otherwise (the server's development CA). */
export const DEFAULT_CA_PATH = './bank-data/tls/ca.crt';

export type CaSource = { ok: true; pem: string | Buffer } | { ok: false; message: string };

/**
 * `ca` is PEM text, PEM bytes, or the path of a PEM file. Text that holds a PEM header is
 * taken as the certificate itself; anything else is a path.
 */
export function loadCa(ca: string | Buffer | undefined, readFile: (path: string) => Buffer = readFileSync): CaSource {
  if (Buffer.isBuffer(ca)) return { ok: true, pem: ca };
  if (ca?.includes('-----BEGIN')) return { ok: true, pem: ca };
  const path = ca ?? DEFAULT_CA_PATH;
  try {
    return { ok: true, pem: readFile(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { ok: false, message: `cannot read the CA certificate ${path} (${code})` };
  }
}
