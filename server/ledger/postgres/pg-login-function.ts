/**
 * Lockout by user name (protocol/README.md §2.1) as plpgsql, so every instance counts the same failures
 * and a lock taken on one holds on all: the rules of the SQLite login-lockout module, one locked
 * row per name. Consecutive failures are counted for names that are accounts and names that are
 * not; a lock lasts a period that doubles for each further lock within 24 h, up to 4 h (or until
 * an operator unlocks when the base period is 0). `p_now_ms` null means the database's clock.
 */
export const LOGIN_FUNCTION_SQL = `
CREATE OR REPLACE FUNCTION ledger_login_failure(p_user text, p_now_ms bigint, p_threshold integer, p_lockout_ms bigint)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  r login_failures%ROWTYPE;
  v_now bigint;
  v_failures integer;
  v_lock_count integer;
  v_until bigint;
  c_until_unlock constant bigint := 9007199254740991;
  c_repeat_window constant bigint := 86400000;
  c_max_period constant bigint := 14400000;
BEGIN
  INSERT INTO login_failures (username, failures, updated_ms) VALUES (p_user, 0, 0) ON CONFLICT (username) DO NOTHING;
  SELECT * INTO r FROM login_failures WHERE username = p_user FOR UPDATE;
  v_now := COALESCE(p_now_ms, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
  IF r.locked_until_ms IS NOT NULL AND v_now < r.locked_until_ms THEN
    RETURN json_build_object('locked', true, 'justLocked', false, 'failures', r.failures, 'lockedUntilMs', r.locked_until_ms);
  END IF;
  -- A lock period that has ended starts the count afresh.
  v_failures := (CASE WHEN r.locked_until_ms IS NULL THEN r.failures ELSE 0 END) + 1;
  IF v_failures < greatest(1, p_threshold) THEN
    UPDATE login_failures SET failures = v_failures, locked_until_ms = NULL, updated_ms = v_now WHERE username = p_user;
    UPDATE accounts SET failed_logins = v_failures WHERE username = p_user AND kind = 'customer';
    RETURN json_build_object('locked', false, 'justLocked', false, 'failures', v_failures, 'lockedUntilMs', NULL);
  END IF;
  v_lock_count := CASE WHEN r.last_lock_ms IS NOT NULL AND v_now - r.last_lock_ms < c_repeat_window
    THEN r.lock_count + 1 ELSE 1 END;
  IF p_lockout_ms <= 0 THEN
    v_until := c_until_unlock;
  ELSE
    v_until := v_now + least(greatest(c_max_period, p_lockout_ms)::numeric,
      p_lockout_ms::numeric * power(2::numeric, least(greatest(0, v_lock_count - 1), 30)))::bigint;
  END IF;
  UPDATE login_failures SET failures = v_failures, locked_until_ms = v_until, lock_count = v_lock_count,
    last_lock_ms = v_now, updated_ms = v_now WHERE username = p_user;
  UPDATE accounts SET failed_logins = v_failures WHERE username = p_user AND kind = 'customer';
  RETURN json_build_object('locked', true, 'justLocked', true, 'failures', v_failures, 'lockedUntilMs', v_until);
END
$fn$;

CREATE OR REPLACE FUNCTION ledger_login_success(p_user text, p_account_id bigint, p_totp_step bigint, p_now_ms bigint)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  a accounts%ROWTYPE;
  v_now bigint;
BEGIN
  SELECT * INTO a FROM accounts WHERE id = p_account_id FOR NO KEY UPDATE;
  IF NOT FOUND OR a.status <> 'active' OR a.locked THEN
    RETURN json_build_object('active', false, 'totpAccepted', false);
  END IF;
  -- The TOTP replay guard across instances: a step at or before the last used one is refused.
  IF p_totp_step IS NOT NULL AND a.totp_last_step IS NOT NULL AND p_totp_step <= a.totp_last_step THEN
    RETURN json_build_object('active', true, 'totpAccepted', false);
  END IF;
  v_now := COALESCE(p_now_ms, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);
  UPDATE login_failures SET failures = 0, locked_until_ms = NULL, updated_ms = v_now WHERE username = p_user;
  UPDATE accounts SET failed_logins = 0, totp_last_step = COALESCE(p_totp_step, totp_last_step) WHERE id = a.id;
  RETURN json_build_object('active', true, 'totpAccepted', true);
END
$fn$;
`;
