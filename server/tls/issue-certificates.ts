import { generate } from 'selfsigned';

export interface PemPair {
  cert: string;
  key: string;
}

/** The names a local client may dial: DNS localhost, IPv4 and IPv6 loopback. */
export const SERVER_HOSTNAMES = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } as const;

const DAY_MS = 86_400_000;
export const CA_VALIDITY_DAYS = 3650;
/** Short enough that a leaked dev key expires, long enough that nobody renews by hand: reissued when near expiry. */
export const SERVER_VALIDITY_DAYS = 825;
/** Start validity an hour early so a peer whose clock is slightly behind still accepts it. */
const BACKDATE_MS = 3_600_000;

// P-256 keys: quick to generate on first start, and every TLS 1.3 stack speaks ECDSA P-256.
const KEY_OPTIONS = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

function validity(now: Date, days: number): { notBeforeDate: Date; notAfterDate: Date } {
  return {
    notBeforeDate: new Date(now.getTime() - BACKDATE_MS),
    notAfterDate: new Date(now.getTime() + days * DAY_MS),
  };
}

/** A self-signed development CA that may sign server certificates only (pathLen 0). */
export async function createDevCa(now: Date): Promise<PemPair> {
  const pems = await generate(
    [
      { name: 'commonName', value: 'secure-atm development CA' },
      { name: 'organizationName', value: 'secure-atm' },
    ],
    {
      ...KEY_OPTIONS,
      ...validity(now, CA_VALIDITY_DAYS),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}

/** A TLS server certificate for localhost, 127.0.0.1 and ::1, signed by the CA. */
export async function issueServerCertificate(ca: PemPair, now: Date): Promise<PemPair> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...KEY_OPTIONS,
    ...validity(now, SERVER_VALIDITY_DAYS),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...SERVER_HOSTNAMES.dns.map((value) => ({ type: 2 as const, value })),
          ...SERVER_HOSTNAMES.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
