import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readAuditorPublicKey } from '../../audit/index.js';
import type { DataDirPaths } from '../data-dir.js';
import { readDataKey } from '../secrets/data-key.js';
import { ensureDevCertificates, ensurePrivateDir, writeFileAtomic } from '../tls/index.js';
import { type CreateContext, DATA_DIR_FILES, type DataDirFile } from './data-dir-files.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import { openDataDir } from './open-data-dir.js';
import { exists } from './path-probe.js';
import { SetupError } from './setup-error.js';

/**
 * What every instance on one ledger shares and `init --from` copies, and nothing else: the data
 * key (sealed customer data must open on every instance), the server CA (every ATM trusts it;
 * each data dir issues its own server certificate from it), the terminal CA (it vouches for the
 * ATMs' certificates) and the auditor's public key. Never the ledger, the audit chains, any
 * signing key (each instance has its own) or a demo auditor secret.
 */
export const SHARED_FILES = [
  'keys/data.key',
  'tls/ca.crt',
  'tls/ca.key',
  'tls/terminal-ca.crt',
  'tls/terminal-ca.key',
  'keys/auditor.pub',
] as const;

/** Public keys stay readable as init leaves them; every secret and certificate is owner-only. */
const MODES: Record<(typeof SHARED_FILES)[number], number> = {
  'keys/data.key': 0o600,
  'tls/ca.crt': 0o600,
  'tls/ca.key': 0o600,
  'tls/terminal-ca.crt': 0o600,
  'tls/terminal-ca.key': 0o600,
  'keys/auditor.pub': 0o644,
};

export interface InitFromResult {
  paths: DataDirPaths;
  source: string;
  /** Relative paths copied from the source. */
  copied: string[];
  /** Made here: the server certificate and key, issued by the copied CA. */
  issued: string[];
}

/**
 * `bank-server init --from <source> --data-dir <target>`: a new data dir for another instance
 * on another machine. The target must be new or empty; the source must be a data dir holding
 * every shared file. A failure leaves the target as it was found.
 */
export async function initFromDataDir(options: {
  source: string;
  target: string;
  clock?: () => number;
}): Promise<InitFromResult> {
  const source = resolve(options.source);
  const target = resolve(options.target);
  await checkSource(source);
  const targetExisted = await checkTargetEmpty(target);
  const copied: string[] = [];
  const copy = async (ctx: CreateContext, file: (typeof SHARED_FILES)[number]) => {
    await ensurePrivateDir(join(ctx.paths.root, file.split('/')[0] as string));
    await writeFileAtomic(join(ctx.paths.root, file), await readFile(join(source, file), 'utf8'), MODES[file]);
    copied.push(file);
  };
  const tls = async (ctx: CreateContext) => {
    for (const file of SHARED_FILES.filter((f) => f.startsWith('tls/'))) await copy(ctx, file);
    // Issued as on a first start, by the shared CA: every ATM that trusts it trusts this instance.
    await ensureDevCertificates(ctx.paths, { clock: ctx.clock });
  };
  const creators: Record<string, DataDirFile['create']> = {
    'tls/ca.crt': tls,
    'tls/ca.key': tls,
    'tls/server.crt': tls,
    'tls/server.key': tls,
    'keys/data.key': (ctx) => copy(ctx, 'keys/data.key'),
    'keys/auditor.pub': (ctx) => copy(ctx, 'keys/auditor.pub'),
  };
  const files = DATA_DIR_FILES.flatMap((f) => {
    const create = creators[f.path];
    return create ? [{ ...f, create }] : [];
  });
  try {
    const opened = await openDataDir({
      dataDir: target,
      instanceId: null,
      ledgerUrl: null,
      ...(options.clock ? { clock: options.clock } : {}),
      files,
    });
    try {
      await opened.commit();
    } finally {
      await opened.release();
    }
    return {
      paths: opened.paths,
      source,
      copied: SHARED_FILES.filter((f) => copied.includes(f)),
      issued: ['tls/server.crt', 'tls/server.key'],
    };
  } catch (error) {
    // Nothing half-made stays behind: the target was new or empty.
    if (targetExisted) {
      for (const name of await readdir(target).catch(() => [])) await rm(join(target, name), { recursive: true });
    } else {
      await rm(target, { recursive: true, force: true });
    }
    throw error;
  }
}

async function checkSource(source: string): Promise<void> {
  const info = await stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new SetupError('INIT_SOURCE_MISSING', `--from ${source}: no such data dir`);
    }
    throw error;
  });
  if (!info.isDirectory()) {
    throw new SetupError('INIT_SOURCE_NOT_A_DATA_DIR', `--from ${source} is a file, not a data dir`);
  }
  const manifest = await readManifest(source);
  if (!manifest && !(await exists(join(source, 'keys', 'data.key')))) {
    throw new SetupError(
      'INIT_SOURCE_NOT_A_DATA_DIR',
      `--from ${source} is not a bank-server data dir (it has no ${MANIFEST_FILE} and no keys/data.key)`,
    );
  }
  for (const file of SHARED_FILES) {
    if (!(await exists(join(source, file)))) {
      throw new SetupError(
        'INIT_SOURCE_INCOMPLETE',
        `--from ${source} lacks ${file}; run \`bank-server init --data-dir ${source}\` there first (it adds what is missing)`,
      );
    }
  }
  // A damaged key is refused here, before anything is copied (their own errors name the file).
  (await readDataKey(join(source, 'keys', 'data.key'))).fill(0);
  await readAuditorPublicKey(join(source, 'keys', 'auditor.pub'));
}

/** True when the target exists (empty); throws when it holds anything. */
async function checkTargetEmpty(target: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ENOTDIR') {
      throw new SetupError('DATA_DIR_NOT_A_DIRECTORY', `${target} is a file, not a directory`);
    }
    throw error;
  }
  if (entries.length > 0) {
    throw new SetupError(
      'INIT_TARGET_NOT_EMPTY',
      `${target} is not empty: init --from makes a new data dir (give --data-dir a new or empty folder)`,
    );
  }
  return true;
}
