import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DataDirPaths, dataDirPaths } from '../data-dir.js';
import {
  DATA_DIR_FILES,
  DATA_DIR_VERSION,
  type DataDirFile,
  dataDirFilesFor,
  isScopedPath,
  LEGACY_SCOPED_FILES,
} from './data-dir-files.js';
import { assertInstanceId, DEFAULT_INSTANCE_ID, type InstancePaths, instancePaths } from './instance-paths.js';
import {
  type DataDirManifest,
  fingerprint,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  readManifest,
  writeManifest,
} from './manifest.js';
import { exists } from './path-probe.js';
import { acquirePidLock, type PidLock } from './pid-lock.js';
import { SetupError } from './setup-error.js';

export { DEFAULT_INSTANCE_ID, INSTANCE_ID_PATTERN } from './instance-paths.js';

export interface OpenDataDirOptions {
  dataDir: string;
  /** The instance that will run on it; `null` for a command that only prepares it (`init`). */
  instanceId: string | null;
  auditorKeyFile?: string | undefined;
  /**
   * The ledger the instance will use (`--ledger`): default (undefined) the data dir's own
   * `ledger.db`; `sqlite:<file>` another SQLite file; a PostgreSQL URL; `null` none at all
   * (`init --from`). A SQLite ledger is locked as a whole; ledger.db is made and required only
   * when it is the one in use (or the manifest lists it).
   */
  ledgerUrl?: string | null | undefined;
  clock?: () => number;
  /** The registry (tests pass one with a file of a newer version). */
  files?: readonly DataDirFile[];
}

/** A data dir locked for this process, checked against its manifest, missing-by-design files made. */
export interface OpenedDataDir {
  paths: DataDirPaths;
  /** The instance's audit folder and signing key (`main` for init). */
  instance: InstancePaths;
  /** Files this call made (relative paths): all of them in a new data dir, new-version files in an old one. */
  created: string[];
  /** The data dir's format before this call; null for a new data dir. */
  previousVersion: number | null;
  /**
   * Writes data-dir.json (only if its content changes). Returns the listed files whose content
   * differs from what the manifest recorded (an operator replaced a key or certificate).
   */
  commit(): Promise<{ changed: string[]; written: boolean }>;
  /** Removes the locks. Idempotent. */
  release(): Promise<void>;
}

/**
 * The first thing a start (or `init`) does. In order: refuse a data dir that is a file; take
 * `locks/<instance>.lock` and the SQLite ledger's lock before touching anything else; read
 * data-dir.json; refuse when a file it lists is missing (naming the file and how to restore
 * it — a new CA, signing key or data key would silently break clients, auditors or sealed
 * data); make only the files a newer version introduced, or everything in a new data dir.
 *
 * A data dir made by the previous version has no manifest: it must hold every version-1 file
 * and gets its manifest at commit().
 */
export async function openDataDir(options: OpenDataDirOptions): Promise<OpenedDataDir> {
  const root = resolve(options.dataDir);
  const version = options.files ? Math.max(...options.files.map((f) => f.since)) : DATA_DIR_VERSION;
  await refuseNonDirectory(root);
  const paths = dataDirPaths(root);
  if (options.instanceId !== null) assertInstanceId(options.instanceId);
  const instance = instancePaths(paths, options.instanceId ?? DEFAULT_INSTANCE_ID);
  const sqliteFile = sqliteLedgerFile(options.ledgerUrl, paths.ledgerDb);
  const files = dataDirFilesFor(
    instance,
    { dataDirLedger: sqliteFile === paths.ledgerDb },
    options.files ?? DATA_DIR_FILES,
  );
  const locks: PidLock[] = [];
  const release = async () => {
    for (const lock of locks.splice(0).reverse()) await lock.release();
  };
  try {
    if (options.instanceId !== null) {
      locks.push(
        await acquirePidLock(
          join(root, 'locks', `${options.instanceId}.lock`),
          'DATA_DIR_LOCKED',
          `data dir ${root} (instance ${options.instanceId})`,
        ),
      );
    } else {
      // `init` writes files too: it must not run under a live server either.
      locks.push(await acquirePidLock(join(root, 'locks', 'init.lock'), 'DATA_DIR_LOCKED', `data dir ${root}`));
    }
    // One SQLite ledger serves one process, whatever its instance id.
    if (sqliteFile !== null) {
      locks.push(await acquirePidLock(`${sqliteFile}.lock`, 'LEDGER_LOCKED', `ledger ${sqliteFile}`));
    }

    const manifest = await readManifest(root);
    if (manifest && manifest.version > version) {
      throw new SetupError(
        'DATA_DIR_TOO_NEW',
        `${join(root, MANIFEST_FILE)} is format ${manifest.version}, made by a newer bank-server; this one reads up to format ${version}`,
      );
    }
    const initialised = manifest !== null || (await holdsAny(root, files));
    // A scoped file (an instance's signing key, ledger.db) is known only where the manifest lists it.
    const known = (file: DataDirFile) =>
      manifest
        ? (!file.scoped && file.since <= manifest.version) || manifest.files.some((f) => f.path === file.path)
        : file.since <= 1 && (!file.scoped || LEGACY_SCOPED_FILES.has(file.path));

    if (initialised) {
      const required = new Set<string>(files.filter(known).map((f) => f.path));
      // Another instance's signing key (or a ledger.db this start does not use) is that start's to check.
      for (const f of manifest?.files ?? []) if (!isScopedPath(f.path)) required.add(f.path);
      for (const path of required) {
        // The auditor's public key given on the command line is written to keys/auditor.pub.
        if (path === 'keys/auditor.pub' && options.auditorKeyFile !== undefined) continue;
        if (!(await exists(join(root, path)))) throw missingFile(root, path, files);
      }
    }
    const toCreate = initialised ? files.filter((f) => !known(f)) : [...files];
    const created: string[] = [];
    const ctx = { paths, instance, auditorKeyFile: options.auditorKeyFile, clock: options.clock ?? Date.now };
    const ran = new Set<DataDirFile['create']>();
    const before = new Map<string, boolean>();
    for (const f of toCreate) before.set(f.path, await exists(join(root, f.path)));
    for (const f of toCreate) {
      if (ran.has(f.create)) continue;
      ran.add(f.create);
      await f.create(ctx);
    }
    for (const f of toCreate) if (!before.get(f.path) && (await exists(join(root, f.path)))) created.push(f.path);

    const instanceId = options.instanceId;
    return {
      paths,
      instance,
      created,
      previousVersion: initialised ? (manifest?.version ?? 1) : null,
      async commit() {
        const next: DataDirManifest = {
          format: MANIFEST_FORMAT,
          version: version,
          instances: [...new Set([...(manifest?.instances ?? []), ...(instanceId === null ? [] : [instanceId])])],
          files: [],
        };
        const changed: string[] = [];
        for (const file of files) {
          const sha256 = file.mutable ? null : await fingerprint(join(root, file.path));
          const was = manifest?.files.find((f) => f.path === file.path);
          if (was && was.sha256 !== null && sha256 !== null && was.sha256 !== sha256) changed.push(file.path);
          next.files.push({ path: file.path, since: file.since, sha256 });
        }
        // Files a newer version listed that this one does not know stay listed (and required).
        for (const f of manifest?.files ?? []) if (!next.files.some((n) => n.path === f.path)) next.files.push(f);
        return { changed, written: await writeManifest(root, next) };
      },
      release,
    };
  } catch (err) {
    await release();
    throw err;
  }
}

/** The SQLite file a ledger URL names (resolved), or null for PostgreSQL or no ledger. */
function sqliteLedgerFile(url: string | null | undefined, dataDirLedger: string): string | null {
  if (url === undefined) return dataDirLedger;
  if (url === null || !url.startsWith('sqlite:')) return null;
  const file = url.slice('sqlite:'.length);
  return file === '' ? dataDirLedger : resolve(file);
}

function missingFile(root: string, path: string, files: readonly DataDirFile[]): SetupError {
  const entry = files.find((f) => f.path === path) ?? DATA_DIR_FILES.find((f) => f.path === path);
  const how = entry?.restore ?? 'restore it from your backup of the data dir';
  return new SetupError(
    'DATA_DIR_FILE_MISSING',
    `${join(root, path)} is missing (the data dir's ${MANIFEST_FILE} lists it): ${how}`,
  );
}

async function refuseNonDirectory(root: string): Promise<void> {
  try {
    if (!(await stat(root)).isDirectory()) {
      throw new SetupError(
        'DATA_DIR_NOT_A_DIRECTORY',
        `${root} is a file, not a directory: --data-dir names the folder the server keeps its files in`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Did an earlier version prepare this data dir? Any of its files says so, except an auditor's
 * public key that an operator may have put into a new data dir before the first start.
 */
async function holdsAny(root: string, files: readonly DataDirFile[]): Promise<boolean> {
  for (const file of files) {
    if (file.path !== 'keys/auditor.pub' && (await exists(join(root, file.path)))) return true;
  }
  return false;
}
