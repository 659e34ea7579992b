import type pg from 'pg';
import type { OutboxRow } from '../audit-outbox.js';
import type { OperatorAction } from '../ledger-backend.js';

/** Operator actions queued by the CLI (`operator_actions`), for the running instances to audit. */

export async function enqueueOperatorAction(
  pool: pg.Pool,
  nowMs: number | null,
  detail: Record<string, unknown>,
): Promise<void> {
  await pool.query(
    `INSERT INTO operator_actions (created_ms, detail)
     VALUES (COALESCE($1, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), $2)`,
    [nowMs, JSON.stringify(detail)],
  );
}

export async function pendingOperatorActions(pool: pg.Pool, limit: number): Promise<OperatorAction[]> {
  const { rows } = await pool.query<{ id: number; created_ms: number; detail: string }>(
    'SELECT id, created_ms, detail FROM operator_actions ORDER BY id LIMIT $1',
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    atMs: row.created_ms,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  }));
}

/**
 * Operator actions move into this instance's outbox in one statement: each is claimed by
 * exactly one instance (SKIP LOCKED: instances polling at once take different rows) and, being
 * an outbox row, reaches that instance's audit chain exactly once whatever crashes.
 */
export async function claimOperatorActions(pool: pg.Pool, instanceId: string, limit: number): Promise<OutboxRow[]> {
  const { rows } = await pool.query<OutboxRow>(
    `WITH claimed AS (
       DELETE FROM operator_actions WHERE id IN (
         SELECT id FROM operator_actions ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, created_ms, detail)
     INSERT INTO audit_outbox (instance_id, event)
     SELECT $1, jsonb_build_object('kind', 'operator_action', 'actor', 'operator',
       'detail', detail::jsonb || jsonb_build_object('via', 'cli',
         'at', to_char(to_timestamp(created_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text
     FROM claimed ORDER BY id
     RETURNING id, event`,
    [instanceId, limit],
  );
  return rows;
}
