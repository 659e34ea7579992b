import { describe, expect, it } from 'vitest';
import { normalizedEventJson } from '../../audit/index.js';
import { mutationAuditEvents, type OutboxEnvelope } from '../../server/ledger/audit-outbox.js';
import type { MutatingRequest, MutationOutcome } from '../../server/ledger/index.js';
import { ALERT, deposit, ENVELOPE, IDLE_TELLER, ok, REMOTE, TELLER, transfer } from './outbox-fixtures.js';

// The text an outbox row stores, and the normalized text the logs get, fixed byte for byte: the
// stored size steers the simulation's disk-full runs, and both logs must read as they always have.
const WHERE = '"address":"10.1.2.3","terminal":"ATM-7","sessionId":"s-42"';
const DEPOSIT_OK =
  '"op":"deposit","requestId":"dep-1","amountCents":900000,"outcome":"ok","balanceAfterCents":901000,"txId":"T000000000042"';
const DEPOSIT_OK_NORMALIZED =
  '"op":"deposit","amountCents":900000,"outcome":"ok","balanceAfterCents":901000,"txId":"T000000000042","requestId":"dep-1"';

/** [envelope, request, outcome, then per event its stored text and its normalized text]. */
const CASES: Array<[OutboxEnvelope, MutatingRequest, MutationOutcome, Array<[string, string]>]> = [
  [
    ENVELOPE,
    deposit,
    ok(),
    [
      [
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK}}`,
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK_NORMALIZED}}`,
      ],
    ],
  ],
  [
    ENVELOPE,
    deposit,
    ok({ alerts: [ALERT] }),
    [
      [
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK}}`,
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK_NORMALIZED}}`,
      ],
      [
        `{"kind":"fraud_alert","actor":"alice",${WHERE},"op":"deposit","amountCents":900000,"requestId":"dep-1","detail":{"rule":"LARGE_AMOUNT"}}`,
        `{"kind":"fraud_alert","actor":"alice",${WHERE},"op":"deposit","amountCents":900000,"requestId":"dep-1","detail":{"rule":"LARGE_AMOUNT"}}`,
      ],
    ],
  ],
  [
    ENVELOPE,
    deposit,
    ok({ replayed: true }),
    [
      [
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK},"detail":{"replayed":true}}`,
        `{"kind":"request","actor":"alice",${WHERE},${DEPOSIT_OK_NORMALIZED},"detail":{"replayed":true}}`,
      ],
    ],
  ],
  [
    ENVELOPE,
    transfer,
    { ok: false, code: 'INSUFFICIENT_FUNDS', alerts: [] },
    [
      [
        `{"kind":"request","actor":"alice",${WHERE},"op":"transfer","requestId":"tr-1","amountCents":250,"outcome":"error","code":"INSUFFICIENT_FUNDS"}`,
        `{"kind":"request","actor":"alice",${WHERE},"op":"transfer","amountCents":250,"outcome":"error","code":"INSUFFICIENT_FUNDS","requestId":"tr-1"}`,
      ],
    ],
  ],
  [
    TELLER,
    deposit,
    ok({ alerts: [ALERT] }),
    [
      [
        `{"kind":"request","actor":"teller1",${WHERE},"customer":"bob",${DEPOSIT_OK}}`,
        `{"kind":"request","actor":"teller1",${WHERE},${DEPOSIT_OK_NORMALIZED},"customer":"bob"}`,
      ],
      [
        `{"kind":"fraud_alert","actor":"teller1",${WHERE},"customer":"bob","op":"deposit","amountCents":900000,"requestId":"dep-1","detail":{"rule":"LARGE_AMOUNT"}}`,
        `{"kind":"fraud_alert","actor":"teller1",${WHERE},"op":"deposit","amountCents":900000,"requestId":"dep-1","customer":"bob","detail":{"rule":"LARGE_AMOUNT"}}`,
      ],
    ],
  ],
  [
    IDLE_TELLER,
    transfer,
    { ok: false, code: 'LIMIT_EXCEEDED', alerts: [ALERT] },
    [
      [
        `{"kind":"request","actor":"teller1",${WHERE},"customer":null,"op":"transfer","requestId":"tr-1","amountCents":250,"outcome":"error","code":"LIMIT_EXCEEDED"}`,
        `{"kind":"request","actor":"teller1",${WHERE},"op":"transfer","amountCents":250,"outcome":"error","code":"LIMIT_EXCEEDED","requestId":"tr-1","customer":null}`,
      ],
      [
        `{"kind":"fraud_alert","actor":"teller1",${WHERE},"customer":null,"op":"deposit","amountCents":900000,"requestId":"tr-1","detail":{"rule":"LARGE_AMOUNT"}}`,
        `{"kind":"fraud_alert","actor":"teller1",${WHERE},"op":"deposit","amountCents":900000,"requestId":"tr-1","customer":null,"detail":{"rule":"LARGE_AMOUNT"}}`,
      ],
    ],
  ],
  [
    REMOTE,
    { id: 'cp-1', op: 'change_password' } as MutatingRequest,
    ok({ result: {} }),
    [
      [
        '{"kind":"request","actor":"carol","address":null,"terminal":null,"sessionId":null,"op":"change_password","requestId":"cp-1","amountCents":null,"outcome":"ok","balanceAfterCents":null,"txId":null}',
        '{"kind":"request","actor":"carol","op":"change_password","outcome":"ok","requestId":"cp-1"}',
      ],
    ],
  ],
];

describe('the outbox event text', () => {
  it.each(CASES.map((c, k) => [k, ...c] as const))(
    'case %i: stored and normalized as it always was',
    (_k, envelope, request, outcome, expected) => {
      const events = mutationAuditEvents(envelope, request, outcome);
      expect(events.map((e) => [JSON.stringify(e), normalizedEventJson(e)])).toEqual(expected);
    },
  );
});
