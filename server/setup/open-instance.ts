import { isPostgresUrl } from '../ledger/ledger-backend.js';
import type { InstanceLock } from '../ledger/postgres/pg-instance-lock.js';
import { assertInstanceId, DEFAULT_INSTANCE_ID } from './instance-paths.js';
import { type OpenDataDirOptions, type OpenedDataDir, openDataDir } from './open-data-dir.js';

export interface OpenInstanceOptions extends Omit<OpenDataDirOptions, 'instanceId'> {
  /** `--instance-id`; default `main`. */
  instanceId?: string | undefined;
  /** The PostgreSQL session holding the instance id ended while running (see acquireInstanceLock). */
  onInstanceLockLost?: (error: Error) => void;
}

/** A data dir opened for one instance, with its id held on the shared ledger when that is PostgreSQL. */
export interface OpenedInstance extends OpenedDataDir {
  /** The PostgreSQL advisory lock on the instance id; null on SQLite (the ledger file's lock does that job). */
  readonly ledgerLock: InstanceLock | null;
}

/**
 * What a start does first: on a PostgreSQL ledger, take the instance id's advisory lock (so two
 * instances on different machines never share an id; INSTANCE_ID_IN_USE otherwise), and only then
 * open the data dir (its pid locks, manifest checks and new files). A refused id has touched no
 * file. release() gives both up, the data dir first.
 */
export async function openInstance(options: OpenInstanceOptions): Promise<OpenedInstance> {
  const instanceId = options.instanceId ?? DEFAULT_INSTANCE_ID;
  assertInstanceId(instanceId);
  const { onInstanceLockLost, instanceId: _id, ...rest } = options;
  let ledgerLock: InstanceLock | null = null;
  if (options.ledgerUrl && isPostgresUrl(options.ledgerUrl)) {
    const { acquireInstanceLock } = await import('../ledger/postgres/pg-instance-lock.js');
    ledgerLock = await acquireInstanceLock(
      options.ledgerUrl,
      instanceId,
      onInstanceLockLost ? { onLost: onInstanceLockLost } : {},
    );
  }
  let opened: OpenedDataDir;
  try {
    opened = await openDataDir({ ...rest, instanceId });
  } catch (error) {
    await ledgerLock?.release();
    throw error;
  }
  return {
    ...opened,
    ledgerLock,
    async release() {
      await opened.release();
      await ledgerLock?.release();
    },
  };
}
