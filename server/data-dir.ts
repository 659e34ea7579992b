import { join, resolve } from 'node:path';

/** Every path the server keeps under its data dir (DESIGN.md: these names are a contract). */
export interface DataDirPaths {
  root: string;
  tlsDir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** The terminal CA (separate from the server CA): it signs ATM client certificates only. */
  terminalCaCert: string;
  terminalCaKey: string;
  /** Where `terminals enroll` writes certificates and keys by default. */
  terminalsDir: string;
  keysDir: string;
  /** Ed25519 secret that signs audit checkpoints, 0600. */
  signingKey: string;
  /** secretbox key for PII at rest, 0600. */
  dataKey: string;
  auditorPub: string;
  /** Only in a demo data dir. */
  auditorKey: string;
  ledgerDb: string;
  auditDir: string;
  auditLog: string;
  segmentsDir: string;
}

export const DEFAULT_DATA_DIR = './bank-data';

/** `--data-dir`, else env BANK_DATA_DIR, else ./bank-data. */
export function resolveDataDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(option ?? env.BANK_DATA_DIR ?? DEFAULT_DATA_DIR);
}

export function dataDirPaths(dataDir: string): DataDirPaths {
  const root = resolve(dataDir);
  const tlsDir = join(root, 'tls');
  const keysDir = join(root, 'keys');
  const auditDir = join(root, 'audit');
  return {
    root,
    tlsDir,
    caCert: join(tlsDir, 'ca.crt'),
    caKey: join(tlsDir, 'ca.key'),
    serverCert: join(tlsDir, 'server.crt'),
    serverKey: join(tlsDir, 'server.key'),
    terminalCaCert: join(tlsDir, 'terminal-ca.crt'),
    terminalCaKey: join(tlsDir, 'terminal-ca.key'),
    terminalsDir: join(root, 'terminals'),
    keysDir,
    signingKey: join(keysDir, 'audit-signing.key'),
    dataKey: join(keysDir, 'data.key'),
    auditorPub: join(keysDir, 'auditor.pub'),
    auditorKey: join(keysDir, 'auditor.key'),
    ledgerDb: join(root, 'ledger.db'),
    auditDir,
    auditLog: join(auditDir, 'audit.log'),
    segmentsDir: join(auditDir, 'segments'),
  };
}
