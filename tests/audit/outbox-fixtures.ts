import type { OutboxEnvelope } from '../../server/ledger/audit-outbox.js';
import type { MutatingRequest, MutationOutcome } from '../../server/ledger/index.js';

// The sessions, requests and outcomes the outbox tests audit: a terminal session, a teller serving
// a customer and serving no one, a remote session; a deposit with and without a fraud alert.
export const ENVELOPE: OutboxEnvelope = { actor: 'alice', address: '10.1.2.3', terminal: 'ATM-7', sessionId: 's-42' };
export const TELLER: OutboxEnvelope = { ...ENVELOPE, actor: 'teller1', customer: 'bob' };
export const IDLE_TELLER: OutboxEnvelope = { ...ENVELOPE, actor: 'teller1', customer: null };
export const REMOTE: OutboxEnvelope = { actor: 'carol', address: null, terminal: null, sessionId: null };
export const ALERT = {
  rule: 'LARGE_AMOUNT' as const,
  user: 'alice',
  op: 'deposit' as const,
  amountCents: 900_000,
  detail: 'big',
};
export const deposit: MutatingRequest = { id: 'dep-1', op: 'deposit', amountCents: 900_000 };
export const transfer = { id: 'tr-1', op: 'transfer', to: 'bob', amountCents: 250 } as MutatingRequest;
export const ok = (extra: Partial<Extract<MutationOutcome, { ok: true }>> = {}): MutationOutcome => ({
  ok: true,
  result: { balanceCents: 901_000, txId: 'T000000000042' },
  replayed: false,
  alerts: [],
  ...extra,
});
