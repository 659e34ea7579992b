import type pg from 'pg';
import type { MutationOutcome } from '../apply-mutation.js';
import type { OutboxRow } from '../audit-outbox.js';
import { MUTATE_SQL, toOutcome } from './pg-mutate.js';

/** The audit events (JSON texts) a mutation's outcome is recorded with (audit-outbox.ts). */
export type OutboxEvents = (outcome: MutationOutcome) => string[];

/** Each instance drains only its own rows into its own chain (pg-outbox-drain.ts). */
const INSERT_OUTBOX = `INSERT INTO audit_outbox (instance_id, event)
  SELECT $2, e FROM unnest($1::text[]) WITH ORDINALITY AS u(e, n) ORDER BY n RETURNING id, event`;

function sorted(rows: OutboxRow[]): OutboxRow[] {
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * One ledger_mutate call. Without events it is one round trip (the statement is its own
 * transaction); with events the outbox rows join the mutation's transaction (BEGIN, the call,
 * one multi-row INSERT, COMMIT), so a committed mutation never lacks its audit record. Errors
 * reach the caller as the driver raised them, after a ROLLBACK.
 */
export async function callMutate(
  pool: pg.Pool,
  params: unknown[],
  events: OutboxEvents | undefined,
  instanceId: string,
): Promise<{ outcome: MutationOutcome; outbox?: OutboxRow[] }> {
  if (!events) {
    const { rows } = await pool.query<{ r: unknown }>(MUTATE_SQL, params);
    return { outcome: toOutcome(rows[0]?.r) };
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ r: unknown }>(MUTATE_SQL, params);
    const outcome = toOutcome(rows[0]?.r);
    const outbox = await client.query<OutboxRow>(INSERT_OUTBOX, [events(outcome), instanceId]);
    await client.query('COMMIT');
    return { outcome, outbox: sorted(outbox.rows) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** A replay answered outside ledger_mutate (a duplicate that lost on the key) is audited on its own. */
export async function writeOutboxRows(pool: pg.Pool, events: string[], instanceId: string): Promise<OutboxRow[]> {
  const { rows } = await pool.query<OutboxRow>(INSERT_OUTBOX, [events, instanceId]);
  return sorted(rows);
}
