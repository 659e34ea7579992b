import type pg from 'pg';
import type { SharedAddressSlots, SlotKind } from '../../auth/shared-address-slots.js';

/** The windows of protocol/README.md §2.1: failed logins per minute, new accounts per hour. */
const WINDOW_MS: Record<SlotKind, number> = { login: 60_000, registration: 3_600_000 };

/**
 * take_address_slot: count the address's live slots of a kind and take one if under the limit,
 * under a transaction-level advisory lock per (kind, address), so two instances taking the last
 * slot at once cannot both get it. Returns the slot id, or null and when the oldest slot leaves
 * the window. The database's clock unless a test clock is given.
 */
export const ADDRESS_SLOT_FUNCTION_SQL = `
CREATE OR REPLACE FUNCTION take_address_slot(p_address TEXT, p_kind TEXT, p_limit INTEGER, p_window_ms BIGINT, p_now_ms BIGINT)
RETURNS TABLE (slot BIGINT, retry_after_ms BIGINT) LANGUAGE plpgsql AS $$
DECLARE
  v_now BIGINT := COALESCE(p_now_ms, floor(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
  v_used INTEGER;
  v_oldest BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('secure-atm address slot ' || p_kind || ' ' || p_address));
  DELETE FROM address_slots WHERE address = p_address AND kind = p_kind AND at_ms <= v_now - p_window_ms;
  SELECT count(*), min(at_ms) INTO v_used, v_oldest FROM address_slots WHERE address = p_address AND kind = p_kind;
  IF v_used >= p_limit THEN
    RETURN QUERY SELECT NULL::BIGINT, GREATEST(1000, v_oldest + p_window_ms - v_now);
    RETURN;
  END IF;
  RETURN QUERY INSERT INTO address_slots (address, kind, at_ms) VALUES (p_address, p_kind, v_now) RETURNING id, 0::BIGINT;
END $$;
`;

/** {@link SharedAddressSlots} on the PostgreSQL ledger: one round trip per slot taken. */
export class PgAddressSlots implements SharedAddressSlots {
  readonly #pool: pg.Pool;
  readonly #clock: (() => number) | undefined;

  constructor(pool: pg.Pool, clock?: () => number) {
    this.#pool = pool;
    this.#clock = clock;
  }

  async take(kind: SlotKind, address: string, limit: number): Promise<{ slot: number } | { retryAfterMs: number }> {
    const { rows } = await this.#pool.query<{ slot: number | null; retry_after_ms: number }>(
      'SELECT slot, retry_after_ms FROM take_address_slot($1, $2, $3, $4, $5)',
      [address, kind, limit, WINDOW_MS[kind], this.#clock ? this.#clock() : null],
    );
    const row = rows[0];
    if (!row) throw new Error('take_address_slot returned nothing');
    return row.slot === null ? { retryAfterMs: Number(row.retry_after_ms) } : { slot: Number(row.slot) };
  }

  async giveBack(slot: number): Promise<void> {
    await this.#pool.query('DELETE FROM address_slots WHERE id = $1', [slot]);
  }

  /** Slots older than the longest window: they can no longer count. */
  async prune(): Promise<number> {
    const { rowCount } = await this.#pool.query(
      `DELETE FROM address_slots WHERE at_ms < COALESCE($1, floor(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT) - $2`,
      [this.#clock ? this.#clock() : null, WINDOW_MS.registration],
    );
    return rowCount ?? 0;
  }
}
