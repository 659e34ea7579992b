import type pg from 'pg';

/** Now in ms on the database's clock, as SQL: what stamps rows when no test clock is given. */
export const DB_NOW_MS = 'floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** The test clock, else the database's (not this instance's). */
export async function databaseNowMs(client: pg.Pool | pg.PoolClient, clock?: () => number): Promise<number> {
  if (clock) return clock();
  const { rows } = await client.query<{ now: string | number }>(`SELECT ${DB_NOW_MS} AS now`);
  return Number(rows[0]?.now);
}
