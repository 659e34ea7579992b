import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireInstanceLock, type InstanceLock } from '../../../server/ledger/postgres/index.js';
import { pgDatabaseFor } from './pg-fixtures.js';

const db = pgDatabaseFor('instance_lock');
const held: InstanceLock[] = [];
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
});

async function take(id: string, onLost?: (error: Error) => void): Promise<InstanceLock> {
  const lock = await acquireInstanceLock(db.url, id, onLost ? { onLost } : {});
  held.push(lock);
  return lock;
}

async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('acquireInstanceLock (PostgreSQL advisory lock per instance id)', () => {
  it('refuses a second holder of the same id with INSTANCE_ID_IN_USE naming the id', async () => {
    await take('east');
    const second = acquireInstanceLock(db.url, 'east');
    await expect(second).rejects.toMatchObject({
      code: 'INSTANCE_ID_IN_USE',
      message: expect.stringContaining('"east"'),
    });
    // The refused attempt leaves no session behind.
    const sessions = await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'secure-atm instance east'",
    );
    expect(sessions[0]?.n).toBe(1);
  });

  it('gives different ids to different holders', async () => {
    const a = await take('a');
    const b = await take('b');
    expect([a.instanceId, b.instanceId]).toEqual(['a', 'b']);
  });

  it('frees the id on release() (and release twice is harmless)', async () => {
    const first = await take('west');
    await first.release();
    await first.release();
    const again = await take('west');
    expect(again.instanceId).toBe('west');
  });

  it('frees the id when the holding session dies, and tells the holder', async () => {
    const lost: Error[] = [];
    await take('north', (error) => lost.push(error));
    await expect(acquireInstanceLock(db.url, 'north')).rejects.toMatchObject({ code: 'INSTANCE_ID_IN_USE' });
    // What a SIGKILL or a cut connection does to the server side: the backend goes, its locks with it.
    const killed = await sql<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid, 10000) AS ok FROM pg_stat_activity WHERE application_name = 'secure-atm instance north'",
    );
    expect(killed).toEqual([{ ok: true }]);
    const next = await take('north');
    expect(next.instanceId).toBe('north');
    await expect.poll(() => lost.length).toBeGreaterThan(0);
  });

  it('does not meet the migration lock: an instance lock is a two-key advisory lock', async () => {
    await take('south');
    const rows = await sql<{ objsubid: number }>(
      "SELECT l.objsubid::int AS objsubid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.application_name = 'secure-atm instance south'",
    );
    // objsubid 2 = the (int4, int4) form; the migration lock takes the bigint form (objsubid 1).
    expect(rows).toEqual([{ objsubid: 2 }]);
  });
});
