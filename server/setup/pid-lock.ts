import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SetupError } from './setup-error.js';

/** A lock file held by this process; release() removes it (only if it is still ours). */
export interface PidLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Locks this process holds, so a second acquire in the same process is refused too. */
const held = new Set<string>();

/** Backstop for an exit that skips release(): a lock left behind would only be stale, but tidy is better. */
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of held) {
      try {
        if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
      } catch {
        // gone already
      }
    }
  });
}

/**
 * Takes `path` as a lock file holding our pid. The file appears with its content in one step
 * (written under a temporary name, then hard-linked into place, which fails if the lock exists),
 * so no reader ever sees an empty lock. A lock whose pid no longer runs is stale and is taken
 * over (a restart right after SIGKILL). A live holder makes this throw SetupError `code`.
 *
 * `what` names the locked thing for the message, e.g. "data dir /srv/bank (instance main)".
 */
export async function acquirePidLock(path: string, code: string, what: string): Promise<PidLock> {
  const dir = dirname(path);
  const createdDir = await mkdirIfMissing(dir);
  if (held.has(path)) throw lockedError(code, what, process.pid, path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
      }
      const holder = await readHolder(path);
      if (holder !== null && holder !== process.pid && isRunning(holder)) throw lockedError(code, what, holder, path);
      await takeOverStale(path, holder);
    }
  } finally {
    await rm(temp, { force: true });
  }
  held.add(path);
  installExitHook();
  return {
    path,
    async release() {
      if (!held.delete(path)) return;
      if ((await readHolder(path)) === process.pid) await unlink(path).catch(() => {});
      // A locks/ folder this lock brought is removed again, so a refused start leaves no trace.
      if (createdDir) await rmdir(dir).catch(() => {});
    },
  };
}

function lockedError(code: string, what: string, pid: number, path: string): SetupError {
  return new SetupError(
    code,
    `${what} is in use by a running bank-server (pid ${pid}); stop it first (if no such server runs, delete ${path})`,
  );
}

/**
 * Moves a stale lock aside and removes it. Two processes may both find the same stale lock; the
 * one whose rename fails (ENOENT) just tries the link again, and a lock that changed hands since
 * it was read is put back instead of being removed.
 */
async function takeOverStale(path: string, stalePid: number | null): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readHolder(aside);
  if (moved !== stalePid && moved !== null && isRunning(moved)) {
    await link(aside, path).catch(() => {});
  }
  await rm(aside, { force: true });
}

async function readHolder(path: string): Promise<number | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** kill(pid, 0): ESRCH means gone; EPERM means it runs under another user. */
export function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function mkdirIfMissing(dir: string): Promise<boolean> {
  try {
    return (await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SetupError('DATA_DIR_NOT_A_DIRECTORY', `${dir} is not a directory`);
    }
    throw err;
  }
}
