import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, connect, createServer, type PeerCertificate } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DataDirPaths, dataDirPaths } from '../../../server/data-dir.js';
import { ensureDevCertificates, TlsSetupError } from '../../../server/tls/index.js';
import { mode } from '../file-facts.js';

let dir: string;
let paths: DataDirPaths;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-test-'));
  paths = dataDirPaths(join(dir, 'data'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A TLS 1.3 server on port 0 that says "hi" to whoever completes the handshake. */
async function startServer(cert: string, key: string) {
  const server = createServer({ cert, key, minVersion: 'TLSv1.3' }, (socket) => socket.end('hi'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Connects and resolves with the negotiated protocol and the greeting, or rejects with the TLS error. */
function handshake(options: { port: number; ca: string; host?: string; servername?: string }) {
  return new Promise<{ protocol: string | null; data: string }>((resolve, reject) => {
    const socket = connect({
      port: options.port,
      host: options.host ?? '127.0.0.1',
      ca: options.ca,
      minVersion: 'TLSv1.3',
      ...(options.servername === undefined ? {} : { servername: options.servername }),
    });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve({ protocol: socket.getProtocol(), data }));
    socket.on('error', reject);
  });
}

describe('ensureDevCertificates', () => {
  it('creates the CA and server files with private modes', async () => {
    const result = await ensureDevCertificates(paths);
    expect(result.created).toBe(true);
    expect(await readFile(paths.caCert, 'utf8')).toBe(result.caCert);
    expect(await readFile(paths.serverCert, 'utf8')).toBe(result.serverCert);
    expect(await readFile(paths.serverKey, 'utf8')).toBe(result.serverKey);
    expect(await mode(paths.tlsDir)).toBe(0o700);
    expect(await mode(paths.caKey)).toBe(0o600);
    expect(await mode(paths.serverKey)).toBe(0o600);
    expect(result.serverKey).toContain('PRIVATE KEY');
    expect(result.caCert).not.toContain('PRIVATE KEY');
  });

  it('issues a server certificate signed by the CA for localhost, 127.0.0.1 and ::1', async () => {
    const result = await ensureDevCertificates(paths);
    const ca = new X509Certificate(result.caCert);
    const server = new X509Certificate(result.serverCert);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:localhost');
    const peer = server.toLegacyObject() as PeerCertificate;
    for (const host of ['localhost', '127.0.0.1', '::1']) expect(checkServerIdentity(host, peer)).toBeUndefined();
    expect(checkServerIdentity('example.com', peer)).toBeInstanceOf(Error);
    expect(checkServerIdentity('127.0.0.2', peer)).toBeInstanceOf(Error);
  });

  it('serves TLS 1.3 that a client verifying against ca.crt accepts by name and by IP', async () => {
    const result = await ensureDevCertificates(paths);
    const { server, port } = await startServer(result.serverCert, result.serverKey);
    try {
      const ca = await readFile(paths.caCert, 'utf8');
      expect(await handshake({ port, ca, servername: 'localhost' })).toEqual({ protocol: 'TLSv1.3', data: 'hi' });
      expect(await handshake({ port, ca, host: '127.0.0.1' })).toEqual({ protocol: 'TLSv1.3', data: 'hi' });
    } finally {
      server.close();
    }
  });

  it('is refused by a client that trusts a different CA, or asks for another name', async () => {
    const result = await ensureDevCertificates(paths);
    const other = await ensureDevCertificates(dataDirPaths(join(dir, 'other')));
    expect(other.caCert).not.toBe(result.caCert);
    const { server, port } = await startServer(result.serverCert, result.serverKey);
    try {
      await expect(handshake({ port, ca: other.caCert, servername: 'localhost' })).rejects.toMatchObject({
        code: expect.stringMatching(/VERIFY|SIGNATURE|ISSUER|SELF_SIGNED/),
      });
      await expect(handshake({ port, ca: result.caCert, servername: 'example.com' })).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      server.close();
    }
  });

  it('reuses the files on the next call', async () => {
    const first = await ensureDevCertificates(paths);
    const before = await stat(paths.serverCert);
    const second = await ensureDevCertificates(paths);
    expect(second).toEqual({ ...first, created: false });
    expect((await stat(paths.serverCert)).mtimeMs).toBe(before.mtimeMs);
  });

  it('narrows loose modes on reuse', async () => {
    await ensureDevCertificates(paths);
    await chmod(paths.serverKey, 0o644);
    await chmod(paths.caKey, 0o640);
    await chmod(paths.tlsDir, 0o755);
    expect((await ensureDevCertificates(paths)).created).toBe(false);
    expect(await mode(paths.serverKey)).toBe(0o600);
    expect(await mode(paths.caKey)).toBe(0o600);
    expect(await mode(paths.tlsDir)).toBe(0o700);
  });

  it('reissues a missing or foreign server certificate from the same CA', async () => {
    const first = await ensureDevCertificates(paths);
    await unlink(paths.serverCert);
    const again = await ensureDevCertificates(paths);
    expect(again.created).toBe(true);
    expect(again.caCert).toBe(first.caCert);
    expect(again.serverCert).not.toBe(first.serverCert);
    expect(new X509Certificate(again.serverCert).verify(new X509Certificate(first.caCert).publicKey)).toBe(true);

    // A server pair from another CA is not trusted by this CA's clients: replace it.
    const foreign = await ensureDevCertificates(dataDirPaths(join(dir, 'foreign')));
    await writeFile(paths.serverCert, foreign.serverCert);
    await writeFile(paths.serverKey, foreign.serverKey);
    const fixed = await ensureDevCertificates(paths);
    expect(fixed.created).toBe(true);
    expect(new X509Certificate(fixed.serverCert).checkIssued(new X509Certificate(first.caCert))).toBe(true);
  });

  it('reissues a server certificate that is about to expire', async () => {
    const first = await ensureDevCertificates(paths);
    const validTo = Date.parse(new X509Certificate(first.serverCert).validTo);
    const later = await ensureDevCertificates(paths, { clock: () => validTo - 86_400_000 });
    expect(later.created).toBe(true);
    expect(later.caCert).toBe(first.caCert);
    expect(Date.parse(new X509Certificate(later.serverCert).validTo)).toBeGreaterThan(validTo);
  });

  it('starts over when ca.crt is missing', async () => {
    const first = await ensureDevCertificates(paths);
    await unlink(paths.caCert);
    const again = await ensureDevCertificates(paths);
    expect(again.created).toBe(true);
    expect(again.caCert).not.toBe(first.caCert);
    expect(new X509Certificate(again.serverCert).verify(new X509Certificate(again.caCert).publicKey)).toBe(true);
  });

  it('needs an operator when ca.key is missing and a certificate must be issued', async () => {
    await ensureDevCertificates(paths);
    await unlink(paths.caKey);
    // The server pair is still good: serving needs no CA key.
    expect((await ensureDevCertificates(paths)).created).toBe(false);
    await unlink(paths.serverCert);
    const error = await ensureDevCertificates(paths).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsSetupError);
    expect(error).toMatchObject({ code: 'TLS_FILES_INCOMPLETE' });
  });

  it('refuses a damaged CA certificate rather than replacing it', async () => {
    await ensureDevCertificates(paths);
    await writeFile(paths.caCert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(ensureDevCertificates(paths)).rejects.toMatchObject({ code: 'TLS_CERT_INVALID' });
  });
});
