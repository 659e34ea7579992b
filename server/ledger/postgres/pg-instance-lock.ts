import { createHash } from 'node:crypto';
import pg from 'pg';
import { SetupError } from '../../setup/setup-error.js';

/**
 * The advisory-lock namespace of instance ids: the first key of the two-int4 form
 * `pg_try_advisory_lock(namespace, key)`. PostgreSQL keeps two-int4 keys apart from one-bigint
 * keys (pg_locks.objsubid 2 vs 1), so this can never meet the migration lock in pg-schema.ts,
 * which uses the bigint form; other two-int4 users must pick another namespace.
 */
export const INSTANCE_LOCK_NAMESPACE = 0x5eca_1d;

/** An instance id's lock, held by one dedicated session until release() or until that session ends. */
export interface InstanceLock {
  readonly instanceId: string;
  /** Unlocks and closes the session. Idempotent. */
  release(): Promise<void>;
}

export interface InstanceLockOptions {
  /**
   * The session holding the lock ended (the database restarted, the connection was cut): the
   * lock is gone with it, so another instance may now take this id. The caller decides what a
   * running instance does then (stop serving, or acquire again).
   */
  onLost?: (error: Error) => void;
}

/**
 * The second key for `instanceId`: the first 32 bits of SHA-256("secure-atm instance\0" || id).
 * The same id always gives the same key, so two instances with one id can never both hold it;
 * two different ids share a key with odds of 2^-32, which refuses a start (naming the id)
 * rather than letting anything through.
 */
export function instanceLockKey(instanceId: string): number {
  return createHash('sha256').update('secure-atm instance\0').update(instanceId, 'utf8').digest().readInt32BE(0);
}

/**
 * Takes the PostgreSQL advisory lock that keeps an instance id unique across machines on one
 * ledger: a session-level `pg_try_advisory_lock` on a connection of its own (a pooled one
 * would hand the session, and so the lock, to whatever query came next). Another live holder
 * makes this throw SetupError `INSTANCE_ID_IN_USE`; it never waits. The lock ends with the
 * session, so an instance that was SIGKILLed or lost its connection frees its id by itself.
 */
export async function acquireInstanceLock(
  url: string,
  instanceId: string,
  options: InstanceLockOptions = {},
): Promise<InstanceLock> {
  const client = new pg.Client({ connectionString: url, application_name: `secure-atm instance ${instanceId}` });
  let released = false;
  // A connection error must reach the holder, never crash the process as an unhandled 'error'.
  client.on('error', (error) => {
    if (!released) options.onLost?.(error);
  });
  client.on('end', () => {
    if (!released) options.onLost?.(new Error(`the database session holding instance id "${instanceId}" ended`));
  });
  const key = instanceLockKey(instanceId);
  try {
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      INSTANCE_LOCK_NAMESPACE,
      key,
    ]);
    if (rows[0]?.locked !== true) {
      throw new SetupError(
        'INSTANCE_ID_IN_USE',
        `instance id "${instanceId}" is in use by another running bank-server on this ledger; give each instance its own --instance-id`,
      );
    }
  } catch (error) {
    released = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    instanceId,
    async release() {
      if (released) return;
      released = true;
      try {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [INSTANCE_LOCK_NAMESPACE, key]);
      } catch {
        // The session is gone already, and the lock with it.
      }
      await client.end().catch(() => undefined);
    },
  };
}
