import { prepareAuditKeys } from '../../audit/index.js';
import type { DataDirPaths } from '../data-dir.js';
import { openLedger } from '../ledger/index.js';
import { loadOrCreateDataKey } from '../secrets/data-key.js';
import { ensureDevCertificates } from '../tls/index.js';
import { DEFAULT_INSTANCE_ID, type InstancePaths } from './instance-paths.js';

/** What a file's create() may use. */
export interface CreateContext {
  paths: DataDirPaths;
  /** The instance being started (or `main` for init): whose signing key is made. */
  instance: InstancePaths;
  auditorKeyFile: string | undefined;
  clock: () => number;
}

/**
 * One file the data dir holds. `create` makes it where it is missing: in an empty data dir (or
 * `init`), or at the first start of the version that introduced it (`since` above the data
 * dir's format version). It may make sibling files too (the TLS files come as a set); it is
 * called once per start however many entries share it, and must keep files that already exist.
 */
export interface DataDirFile {
  /** Relative to the data dir, `/`-separated. */
  path: string;
  /** The data-dir format version that introduced the file. */
  since: number;
  /** Content changes while the server runs: listed without a fingerprint. */
  mutable?: boolean;
  /**
   * Belongs to one instance (its audit signing key) or to the data dir's own SQLite ledger, not
   * to every data dir: required once the manifest lists it, else made (an instance's first start,
   * a data dir made by `init --from`). A data dir older than the manifest held main's and its
   * ledger.db, so there they are required as before.
   */
  scoped?: boolean;
  /** The second half of "X is missing: …" — how an operator gets it back, and why not a new one. */
  restore: string;
  create(ctx: CreateContext): Promise<void>;
}

const tlsFiles = async (ctx: CreateContext) => {
  await ensureDevCertificates(ctx.paths, { clock: ctx.clock });
};
const dataKey = async (ctx: CreateContext) => {
  await loadOrCreateDataKey(ctx.paths.dataKey);
};
const auditKeys = async (ctx: CreateContext) => {
  const keys = await prepareAuditKeys({
    keysDir: ctx.paths.keysDir,
    signingKeyPath: ctx.instance.signingKeyPath,
    ...(ctx.auditorKeyFile === undefined ? {} : { auditorKeyFile: ctx.auditorKeyFile }),
  });
  keys.signingSecretKey.fill(0);
};
const ledger = async (ctx: CreateContext) => {
  openLedger(ctx.paths.ledgerDb).close();
};

const FROM_BACKUP = 'restore it from your backup of the data dir';

/**
 * Every file of the data dir, in creation order. A feature that adds a file adds one line here
 * with the next `since`; DATA_DIR_VERSION follows by itself.
 */
export const DATA_DIR_FILES: readonly DataDirFile[] = [
  {
    path: 'tls/ca.crt',
    since: 1,
    create: tlsFiles,
    restore: `${FROM_BACKUP} (every ATM trusts this CA: a new one would make them refuse the server)`,
  },
  { path: 'tls/ca.key', since: 1, create: tlsFiles, restore: `${FROM_BACKUP} (it issues the server certificate)` },
  { path: 'tls/server.crt', since: 1, create: tlsFiles, restore: `${FROM_BACKUP} together with tls/server.key` },
  { path: 'tls/server.key', since: 1, create: tlsFiles, restore: `${FROM_BACKUP} together with tls/server.crt` },
  {
    path: 'keys/data.key',
    since: 1,
    create: dataKey,
    restore: `${FROM_BACKUP} (a new key could not open the customer data sealed in the ledger)`,
  },
  {
    path: 'keys/audit-signing.key',
    since: 1,
    scoped: true,
    create: auditKeys,
    restore: `${FROM_BACKUP} (auditors pin its public key: a new key would break the signed audit chain)`,
  },
  {
    path: 'keys/auditor.pub',
    since: 1,
    create: auditKeys,
    restore: `${FROM_BACKUP}, or start with --auditor-key <file> naming the auditor's public key (made by \`bank-audit keygen\`)`,
  },
  {
    path: 'ledger.db',
    since: 1,
    mutable: true,
    scoped: true,
    create: ledger,
    restore:
      'restore the ledger from a backup made with `bank-server backup` (see README, "Backup and restore"); a new one would hold no accounts',
  },
];

/** The format this version writes: the newest `since` of its files. */
export const DATA_DIR_VERSION = Math.max(...DATA_DIR_FILES.map((f) => f.since));

/** The scoped files a data dir made before the manifest always held (instance main, SQLite ledger). */
export const LEGACY_SCOPED_FILES: ReadonlySet<string> = new Set(['keys/audit-signing.key', 'ledger.db']);

/**
 * A listed path that belongs to one instance or to the data dir's SQLite ledger (see `scoped`):
 * another instance's start neither needs nor checks it.
 */
export function isScopedPath(path: string): boolean {
  return LEGACY_SCOPED_FILES.has(path) || /^keys\/instances\/[^/]+\/audit-signing\.key$/.test(path);
}

/**
 * The registry as one start sees it: instance `main` signs with keys/audit-signing.key, any other
 * with keys/instances/<id>/audit-signing.key; ledger.db belongs only to a start on the data dir's
 * own SQLite ledger (not PostgreSQL, not a `sqlite:` file elsewhere).
 */
export function dataDirFilesFor(
  instance: InstancePaths,
  options: { dataDirLedger: boolean },
  files: readonly DataDirFile[] = DATA_DIR_FILES,
): DataDirFile[] {
  const out: DataDirFile[] = [];
  for (const file of files) {
    if (file.path === 'ledger.db' && !options.dataDirLedger) continue;
    if (file.path === 'keys/audit-signing.key' && instance.instanceId !== DEFAULT_INSTANCE_ID) {
      out.push({ ...file, path: instance.signingKeyFile });
      continue;
    }
    out.push(file);
  }
  return out;
}
