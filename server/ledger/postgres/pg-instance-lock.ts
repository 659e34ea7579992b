import { createHash } from 'node:crypto';
import pg from 'pg';
import { SetupError } from '../../setup/setup-error.js';

/**
 * The advisory-lock key space of instance ids: the first 4 bytes of SHA-256 over a fixed prefix
 * and the id, as the second half of a two-int key whose first half names the space, so it never
 * meets the migration lock (a one-int key) in pg_locks.
 */
const INSTANCE_LOCK_SPACE = 0x5ec_a7a2;

function instanceKey(instanceId: string): number {
  return createHash('sha256').update(`secure-atm instance ${instanceId}`).digest().readInt32BE(0);
}

/**
 * Hold instance `instanceId` on this ledger for as long as this process runs (DESIGN.md: two
 * running instances never share an id, across machines too): a session-level advisory lock on a
 * connection of its own, so it goes when the process (or its connection) dies.
 */
export async function acquireInstanceLock(url: string, instanceId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  // A dropped connection drops the lock: nothing to do but not crash on the error event.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
      INSTANCE_LOCK_SPACE,
      instanceKey(instanceId),
    ]);
    if (!rows[0]?.ok) {
      throw new SetupError(
        'INSTANCE_ID_IN_USE',
        `instance id "${instanceId}" is already running on this ledger; give each instance its own --instance-id`,
      );
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.end().catch(() => {});
    },
  };
}
