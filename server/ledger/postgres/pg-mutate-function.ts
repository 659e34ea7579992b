import { MAX_BALANCE_CENTS } from '../ledger-config.js';

/**
 * The money and account rules of apply-mutation.ts as one plpgsql function, so a mutation is one
 * round trip (measured faster than an interactive transaction; README "Ledger on PostgreSQL").
 * Kept in step with apply-mutation.ts: the same checks in the same order, the same codes and
 * messages, the same fraud alert texts. Longer than the house limit because it is one SQL body.
 *
 * Locks: the account (and a transfer's target) first, in id order (FOR NO KEY UPDATE, what an
 * UPDATE of a balance takes anyway, so inserts that only reference the row are not held up), then
 * the cash side (the session's terminal's cash account; cash needs a terminal), and only then a
 * transaction sequence number, so for every account sequence order is commit order and the
 * `balance_after` chain holds under concurrency. The applied-id check runs after the account lock,
 * so a concurrent duplicate waits and then sees the first one's row; the (account, request id)
 * primary key still backs it (the caller answers a 23505 as a replay).
 *
 * Arguments the caller has already judged: `p_refusal` (a code and message found from the request
 * and prepared values alone, answered after the replay and account checks, as apply-mutation
 * does), the request hash, the parsed txId. `p_now_ms` null means the database's clock.
 */
export const MUTATE_FUNCTION_SQL = `
CREATE OR REPLACE FUNCTION ledger_mutate(
  p_account_id bigint, p_user text, p_request_id text, p_hash text, p_op text,
  p_amount bigint, p_to text, p_tx_seq bigint,
  p_refusal_code text, p_refusal_message text,
  p_new_password_hash text, p_set_email boolean, p_email text, p_set_phone boolean, p_phone text,
  p_totp_secret text, p_totp_step bigint,
  p_now_ms bigint, p_config json, p_terminal_id text, p_terminal_fingerprint text
) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  a accounts%ROWTYPE;
  t accounts%ROWTYPE;
  o transactions%ROWTYPE;
  v_target_id bigint;
  v_prev applied_requests%ROWTYPE;
  v_now bigint;
  v_day text;
  v_withdrawn bigint;
  v_left bigint;
  v_seq bigint;
  v_after bigint;
  v_other_after bigint;
  v_result json;
  v_alerts json[] := '{}';
  v_debits bigint;
  v_cap bigint;
  v_block boolean;
  v_fraud_op text;
  v_cash_id bigint;
  v_cash bigint;
  v_term_status text;
  v_term_fp text;
  v_cash_party bigint;
  -- MAX_BALANCE_CENTS (ledger-config.ts): no balance goes beyond ±10^15 cents.
  c_max_balance constant bigint := ${MAX_BALANCE_CENTS};
BEGIN
  IF p_op = 'transfer' THEN
    SELECT id INTO v_target_id FROM accounts WHERE username = p_to AND kind = 'customer';
  END IF;
  PERFORM 1 FROM accounts WHERE id = p_account_id OR id = v_target_id ORDER BY id FOR NO KEY UPDATE;
  v_now := COALESCE(p_now_ms, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);

  SELECT * INTO v_prev FROM applied_requests WHERE account_id = p_account_id AND request_id = p_request_id;
  IF FOUND THEN
    IF v_prev.request_hash = p_hash THEN
      RETURN json_build_object('kind', 'replay', 'response', v_prev.response::json);
    END IF;
    RETURN json_build_object('kind', 'refused', 'code', 'IDEMPOTENCY_CONFLICT');
  END IF;

  SELECT * INTO a FROM accounts WHERE id = p_account_id;
  -- Checked in the transaction that applies the change: an operator's lock or close since the
  -- session opened stops every later request (protocol/README.md §5.1).
  IF NOT FOUND OR a.kind <> 'customer' OR a.status <> 'active' THEN
    RETURN json_build_object('kind', 'refused', 'code', 'ACCOUNT_LOCKED', 'message', 'this account is closed');
  END IF;
  IF a.locked THEN
    RETURN json_build_object('kind', 'refused', 'code', 'ACCOUNT_LOCKED', 'message', 'this account is locked by the bank');
  END IF;
  IF p_refusal_code IS NOT NULL THEN
    RETURN json_build_object('kind', 'refused', 'code', p_refusal_code, 'message', p_refusal_message);
  END IF;

  IF p_op = 'deposit' AND abs(a.balance_cents + p_amount) > c_max_balance THEN
    RETURN json_build_object('kind', 'refused', 'code', 'INVALID_AMOUNT',
      'message', 'the balance would exceed what the ledger holds');
  END IF;
  -- Cash moves only in a session whose certificate is still the one on record for an active
  -- terminal, against that terminal's cash account (locked after the customer's).
  IF p_op IN ('deposit', 'withdraw', 'reverse') THEN
    IF p_terminal_id IS NULL THEN
      RETURN json_build_object('kind', 'refused', 'code', 'TERMINAL_REQUIRED');
    END IF;
    SELECT tm.account_id, 0 - c.balance_cents, tm.status, tm.fingerprint INTO v_cash_id, v_cash, v_term_status, v_term_fp
      FROM terminals tm JOIN accounts c ON c.id = tm.account_id WHERE tm.id = p_terminal_id
      FOR SHARE OF tm FOR NO KEY UPDATE OF c;
    IF NOT FOUND OR v_term_status <> 'active' OR v_term_fp <> p_terminal_fingerprint THEN
      RETURN json_build_object('kind', 'refused', 'code', 'TERMINAL_REQUIRED', 'message', 'this terminal is no longer enrolled');
    END IF;
    v_cash_party := a.id;
  END IF;

  IF p_op IN ('deposit', 'withdraw', 'transfer') THEN
    -- Every check but fraud, in apply-mutation.ts order.
    IF p_op = 'deposit' AND abs(v_cash + p_amount) > c_max_balance THEN
      RETURN json_build_object('kind', 'refused', 'code', 'INVALID_AMOUNT', 'message', 'the terminal''s cash would overflow');
    END IF;
    -- §5.1 order: SAME_ACCOUNT, INSUFFICIENT_FUNDS, then UNKNOWN_ACCOUNT, so a target's existence
    -- is told only to a sender who could pay.
    IF p_op = 'transfer' AND p_to = a.username THEN
      RETURN json_build_object('kind', 'refused', 'code', 'SAME_ACCOUNT');
    END IF;
    IF p_op IN ('withdraw', 'transfer') AND a.balance_cents < p_amount THEN
      RETURN json_build_object('kind', 'refused', 'code', 'INSUFFICIENT_FUNDS');
    END IF;
    IF p_op = 'transfer' THEN
      SELECT * INTO t FROM accounts WHERE id = v_target_id;
      IF NOT FOUND OR t.status <> 'active' OR t.username <> p_to THEN
        RETURN json_build_object('kind', 'refused', 'code', 'UNKNOWN_ACCOUNT');
      END IF;
      IF t.id = a.id THEN
        RETURN json_build_object('kind', 'refused', 'code', 'SAME_ACCOUNT');
      END IF;
      IF abs(t.balance_cents + p_amount) > c_max_balance THEN
        RETURN json_build_object('kind', 'refused', 'code', 'INVALID_AMOUNT',
          'message', 'the recipient''s balance would exceed what the ledger holds');
      END IF;
    END IF;
    v_day := to_char(to_timestamp(v_now / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD');
    v_withdrawn := CASE WHEN a.withdrawn_day = v_day THEN a.withdrawn_cents ELSE 0 END;
    IF p_op = 'withdraw' AND v_withdrawn + p_amount > (p_config->>'dailyWithdrawalLimitCents')::bigint THEN
      v_left := greatest(0, (p_config->>'dailyWithdrawalLimitCents')::bigint - v_withdrawn);
      RETURN json_build_object('kind', 'refused', 'code', 'LIMIT_EXCEEDED',
        'message', format('daily withdrawal limit reached; %s cents left today', v_left),
        'details', json_build_object('remainingCents', v_left));
    END IF;
    IF p_op = 'withdraw' AND v_cash < p_amount THEN
      RETURN json_build_object('kind', 'refused', 'code', 'TERMINAL_OUT_OF_CASH');
    END IF;

    -- Fraud screening (server/fraud/fraud-rules.ts, same texts).
    v_fraud_op := p_op;
    IF p_amount > (p_config->>'largeAmountCents')::bigint THEN
      v_alerts := v_alerts || json_build_object('user', p_user, 'op', v_fraud_op, 'amountCents', p_amount,
        'rule', 'LARGE_AMOUNT',
        'detail', format('amount %s cents is above the %s cents threshold', p_amount, p_config->>'largeAmountCents'));
    END IF;
    IF p_op <> 'deposit' THEN
      v_cap := greatest(0, (p_config->>'velocityCount')::bigint);
      SELECT count(*) INTO v_debits FROM (
        SELECT 1 FROM entries
        WHERE account_id = a.id AND kind IN ('withdrawal', 'transfer_out')
          AND created_ms >= v_now - ((p_config->>'velocityWindowSec')::numeric * 1000)::bigint + 1
        ORDER BY tx_seq DESC LIMIT v_cap) d;
      IF v_debits + 1 > (p_config->>'velocityCount')::bigint THEN
        v_alerts := v_alerts || json_build_object('user', p_user, 'op', v_fraud_op, 'amountCents', p_amount,
          'rule', 'VELOCITY',
          'detail', format('%s%s withdrawals or transfers within %s s (limit %s)', v_debits + 1,
            CASE WHEN v_debits >= (p_config->>'velocityCount')::bigint THEN ' or more' ELSE '' END,
            p_config->>'velocityWindowSec', p_config->>'velocityCount'));
      END IF;
    END IF;
    v_block := cardinality(v_alerts) > 0 AND p_config->>'fraudAction' = 'block';
    INSERT INTO fraud_alerts (account_id, username, rule, op, amount_cents, detail, blocked, request_id, created_ms)
      SELECT a.id, x->>'user', x->>'rule', x->>'op', (x->>'amountCents')::bigint, x->>'detail', v_block,
        p_request_id, v_now
      FROM unnest(v_alerts) AS x;
    IF v_block THEN
      RETURN json_build_object('kind', 'refused', 'code', 'FRAUD_HOLD', 'alerts', array_to_json(v_alerts));
    END IF;

    -- The movement: guarded updates, then the sequence number, then one entry per side.
    IF p_op = 'deposit' THEN
      UPDATE accounts SET balance_cents = balance_cents + p_amount WHERE id = a.id RETURNING balance_cents INTO v_after;
      UPDATE accounts SET balance_cents = balance_cents - p_amount WHERE id = v_cash_id
        RETURNING balance_cents INTO v_other_after;
      INSERT INTO transactions (kind, account_id, amount_cents, created_ms, terminal)
        VALUES ('deposit', a.id, p_amount, v_now, p_terminal_id) RETURNING seq INTO v_seq;
      INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms) VALUES
        (v_seq, v_cash_id, 'deposit', -p_amount, v_other_after, v_cash_party, v_now),
        (v_seq, a.id, 'deposit', p_amount, v_after, NULL, v_now);
    ELSIF p_op = 'withdraw' THEN
      UPDATE accounts SET balance_cents = balance_cents - p_amount, withdrawn_day = v_day,
          withdrawn_cents = v_withdrawn + p_amount
        WHERE id = a.id AND balance_cents >= p_amount RETURNING balance_cents INTO v_after;
      IF NOT FOUND THEN
        RETURN json_build_object('kind', 'refused', 'code', 'INSUFFICIENT_FUNDS');
      END IF;
      -- Guarded: a terminal's cash position never goes below 0.
      UPDATE accounts SET balance_cents = balance_cents + p_amount
        WHERE id = v_cash_id AND (kind <> 'terminal' OR balance_cents + p_amount <= 0)
        RETURNING balance_cents INTO v_other_after;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'terminal cash changed under its lock' USING ERRCODE = '40001';
      END IF;
      INSERT INTO transactions (kind, account_id, amount_cents, created_ms, terminal)
        VALUES ('withdrawal', a.id, p_amount, v_now, p_terminal_id) RETURNING seq INTO v_seq;
      INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms) VALUES
        (v_seq, a.id, 'withdrawal', -p_amount, v_after, NULL, v_now),
        (v_seq, v_cash_id, 'withdrawal', p_amount, v_other_after, v_cash_party, v_now);
    ELSE
      UPDATE accounts SET balance_cents = balance_cents - p_amount
        WHERE id = a.id AND balance_cents >= p_amount RETURNING balance_cents INTO v_after;
      IF NOT FOUND THEN
        RETURN json_build_object('kind', 'refused', 'code', 'INSUFFICIENT_FUNDS');
      END IF;
      UPDATE accounts SET balance_cents = balance_cents + p_amount WHERE id = t.id RETURNING balance_cents INTO v_other_after;
      INSERT INTO transactions (kind, account_id, counterparty_id, amount_cents, created_ms)
        VALUES ('transfer', a.id, t.id, p_amount, v_now) RETURNING seq INTO v_seq;
      INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms) VALUES
        (v_seq, a.id, 'transfer_out', -p_amount, v_after, t.id, v_now),
        (v_seq, t.id, 'transfer_in', p_amount, v_other_after, a.id, v_now);
    END IF;
    v_result := json_build_object('balanceCents', v_after, 'txId', 'T' || lpad(v_seq::text, 12, '0'));

  ELSIF p_op = 'reverse' THEN
    SELECT * INTO o FROM transactions WHERE seq = p_tx_seq;
    -- Only the machine that dispensed can say it did not: from anywhere else the withdrawal does not exist.
    IF NOT FOUND OR o.kind <> 'withdrawal' OR o.account_id <> a.id OR o.terminal IS DISTINCT FROM p_terminal_id THEN
      RETURN json_build_object('kind', 'refused', 'code', 'UNKNOWN_TX');
    END IF;
    IF EXISTS (SELECT 1 FROM transactions WHERE reverses_seq = o.seq) THEN
      RETURN json_build_object('kind', 'refused', 'code', 'NOT_REVERSIBLE', 'message', 'that withdrawal was already reversed');
    END IF;
    IF v_now - o.created_ms > (p_config->>'reversalWindowSec')::numeric * 1000 THEN
      RETURN json_build_object('kind', 'refused', 'code', 'NOT_REVERSIBLE',
        'message', 'that withdrawal is outside the reversal window');
    END IF;
    IF abs(a.balance_cents + o.amount_cents) > c_max_balance OR abs(v_cash + o.amount_cents) > c_max_balance THEN
      RETURN json_build_object('kind', 'refused', 'code', 'INVALID_AMOUNT',
        'message', 'the balance would exceed what the ledger holds');
    END IF;
    -- Give the amount back to the day it was counted against; a new day's counter never held it.
    v_withdrawn := CASE
      WHEN a.withdrawn_day = to_char(to_timestamp(o.created_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')
      THEN greatest(0, a.withdrawn_cents - o.amount_cents) ELSE a.withdrawn_cents END;
    UPDATE accounts SET balance_cents = balance_cents + o.amount_cents, withdrawn_cents = v_withdrawn
      WHERE id = a.id RETURNING balance_cents INTO v_after;
    UPDATE accounts SET balance_cents = balance_cents - o.amount_cents WHERE id = v_cash_id
      RETURNING balance_cents INTO v_other_after;
    INSERT INTO transactions (kind, account_id, amount_cents, reverses_seq, created_ms, terminal)
      VALUES ('reversal', a.id, o.amount_cents, o.seq, v_now, p_terminal_id) RETURNING seq INTO v_seq;
    INSERT INTO entries (tx_seq, account_id, kind, amount_cents, balance_after, counterparty_id, created_ms) VALUES
      (v_seq, a.id, 'reversal', o.amount_cents, v_after, NULL, v_now),
      (v_seq, v_cash_id, 'reversal', -o.amount_cents, v_other_after, v_cash_party, v_now);
    v_result := json_build_object('balanceCents', v_after, 'txId', 'T' || lpad(v_seq::text, 12, '0'),
      'reversedTxId', 'T' || lpad(o.seq::text, 12, '0'));

  ELSIF p_op = 'change_password' THEN
    UPDATE accounts SET password_hash = p_new_password_hash WHERE id = a.id;
    v_result := '{}'::json;

  ELSIF p_op = 'update_contact' THEN
    UPDATE accounts SET
      email_sealed = CASE WHEN p_set_email THEN p_email ELSE email_sealed END,
      phone_sealed = CASE WHEN p_set_phone THEN p_phone ELSE phone_sealed END
    WHERE id = a.id;
    v_result := '{}'::json;

  ELSIF p_op = 'totp_confirm' THEN
    IF a.totp_pending_sealed IS NULL THEN
      RETURN json_build_object('kind', 'refused', 'code', 'INVALID_REQUEST',
        'message', 'no two-factor enrolment is pending; call totp_enroll first');
    END IF;
    IF p_totp_secret IS NOT NULL AND p_totp_secret <> a.totp_pending_sealed THEN
      RETURN json_build_object('kind', 'refused', 'code', 'TOTP_INVALID',
        'message', 'the enrolment changed while the code was checked; enrol again');
    END IF;
    UPDATE accounts SET totp_secret_sealed = totp_pending_sealed, totp_pending_sealed = NULL, totp_enabled = true,
      totp_last_step = COALESCE(p_totp_step, totp_last_step)
    WHERE id = a.id;
    v_result := '{}'::json;

  ELSIF p_op = 'totp_disable' THEN
    -- The handler checked password and code; turning off what is off is a no-op. The last step
    -- stays as the replay guard.
    UPDATE accounts SET totp_enabled = false, totp_secret_sealed = NULL, totp_pending_sealed = NULL WHERE id = a.id;
    v_result := '{}'::json;

  ELSE
    RETURN json_build_object('kind', 'refused', 'code', 'INVALID_REQUEST', 'message', 'not a ledger mutation');
  END IF;

  INSERT INTO applied_requests (account_id, request_id, request_hash, response, created_ms)
    VALUES (a.id, p_request_id, p_hash, v_result::text, v_now);
  RETURN json_build_object('kind', 'ok', 'result', v_result, 'alerts', array_to_json(v_alerts));
END
$fn$;
`;
