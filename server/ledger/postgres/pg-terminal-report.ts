import type pg from 'pg';
import type { DayReportRows, TerminalDayRows } from '../../terminals/terminal-report.js';

/**
 * The raw figures of `terminals report` on PostgreSQL, read in one REPEATABLE READ READ ONLY
 * snapshot (running instances keep moving cash meanwhile): per terminal, what moved there between
 * `startMs` and `endMs`, its position before the day began and before it ended, the sum of its
 * entries and the day's last count. The arithmetic is terminal-report.ts's, shared with SQLite.
 * PostgreSQL ledgers have no tellers (no roles column), so nothing is grouped by teller.
 */
export async function pgDayReportRows(pool: pg.Pool, startMs: number, endMs: number): Promise<DayReportRows> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await read(client, startMs, endMs);
    } finally {
      await client.query('ROLLBACK');
    }
  } finally {
    client.release();
  }
}

async function read(client: pg.PoolClient, startMs: number, endMs: number): Promise<DayReportRows> {
  const terminals = await client.query<{ id: string; balance_cents: number }>(
    // COLLATE "C": the byte order SQLite's ORDER BY gives, so both list terminals alike.
    `SELECT t.id, a.balance_cents FROM terminals t JOIN accounts a ON a.id = t.account_id ORDER BY t.id COLLATE "C"`,
  );
  const positions = await client.query<{ id: string; opening: number; closing: number; total: number }>(
    `SELECT t.id,
       (-COALESCE(SUM(e.amount_cents) FILTER (WHERE e.created_ms < $1), 0))::bigint AS opening,
       (-COALESCE(SUM(e.amount_cents) FILTER (WHERE e.created_ms < $2), 0))::bigint AS closing,
       COALESCE(SUM(e.amount_cents), 0)::bigint AS total
     FROM terminals t JOIN entries e ON e.account_id = t.account_id GROUP BY t.id`,
    [startMs, endMs],
  );
  const moves = await client.query<{
    terminal: string;
    kind: TerminalDayRows['moves'][number]['kind'];
    n: number;
    cents: number;
  }>(
    `SELECT terminal, kind, COUNT(*) AS n, SUM(amount_cents)::bigint AS cents FROM transactions
     WHERE terminal IS NOT NULL AND created_ms >= $1 AND created_ms < $2 GROUP BY terminal, kind`,
    [startMs, endMs],
  );
  const counts = await client.query<{ terminal_id: string; counted_cents: number; position_cents: number }>(
    `SELECT DISTINCT ON (terminal_id) terminal_id, counted_cents, position_cents FROM terminal_counts
     WHERE created_ms >= $1 AND created_ms < $2 ORDER BY terminal_id, id DESC`,
    [startMs, endMs],
  );
  const position = new Map(positions.rows.map((r) => [r.id, r]));
  const count = new Map(counts.rows.map((r) => [r.terminal_id, r]));
  return {
    terminals: terminals.rows.map((t): TerminalDayRows => {
      const p = position.get(t.id);
      const c = count.get(t.id);
      return {
        id: t.id,
        cashCents: 0 - t.balance_cents,
        openingCashCents: p?.opening ?? 0,
        closingCashCents: p?.closing ?? 0,
        entrySumCents: p?.total ?? 0,
        moves: moves.rows.filter((m) => m.terminal === t.id).map((m) => ({ kind: m.kind, count: m.n, cents: m.cents })),
        lastCount: c ? { countedCents: c.counted_cents, positionCents: c.position_cents } : null,
      };
    }),
    byTeller: [],
  };
}

/** Today's UTC day by the database's clock (DESIGN.md: with PostgreSQL, reports use the database's day). */
export async function pgToday(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ day: string }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day`,
  );
  return rows[0]?.day as string;
}
