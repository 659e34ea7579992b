import type { Database, Statement } from 'better-sqlite3';
import { type AuditEventInput, type NormalizedEventJson, normalizedEventJson } from '../../audit/index.js';
import type { MutatingRequest, MutationOutcome } from './apply-mutation.js';

/**
 * The audit outbox: the audit events of a ledger mutation are inserted into `audit_outbox`
 * by the same job, in the same SQLite transaction, as the mutation itself. A client is
 * answered only after that transaction commits, so every acknowledged mutation has its
 * audit events on disk before the answer leaves; {@link AuditOutboxDrain} moves them from
 * there into the audit logs (which assign seq), and a start drains what a crash left.
 *
 * Each drained event carries `detail.outbox`, its row id: the plaintext log then says which
 * rows reached the logs, which is how a start after a crash neither loses nor repeats one
 * (see audit-outbox-drain.ts).
 */

/** Who asked, as the session knows it; the op, id and outcome come from the mutation. */
export interface OutboxEnvelope {
  actor: string;
  address: string | null;
  terminal: string | null;
  sessionId: string | null;
  /** In a teller session (protocol/README.md §5.2): the customer served, null while serving no one; absent otherwise. */
  customer?: string | null;
}

/**
 * The events a mutation is audited with: the request and its outcome, then any fraud alerts.
 * Each event is one object literal with its keys in the order the stored JSON has always had
 * (kind, actor, address, terminal, sessionId, customer, op, …): a field that does not apply is
 * undefined, which JSON.stringify and normalizing both leave out (tests/audit/outbox-event-text.test.ts
 * fixes the text). Measured with tests/bench/ledger-minimum.bench.ts (34 300 3, three runs alternating
 * with the spreads these were built with): real writer min 118–121 → 109–113 µs per mutation;
 * on its own, under tsx, building the bench's events 4.4 → 0.15 µs, with their JSON and
 * normalized text 9.9 → 2.4 µs.
 */
export function mutationAuditEvents(
  envelope: OutboxEnvelope,
  request: MutatingRequest,
  outcome: MutationOutcome,
): AuditEventInput[] {
  const { actor, address, terminal, sessionId, customer } = envelope;
  const amountCents = 'amountCents' in request ? request.amountCents : null;
  // One literal for both outcomes: the fields that do not apply are undefined and leave the text,
  // so a success keeps outcome, balanceAfterCents, txId, detail and a refusal outcome, code.
  const result = outcome.ok ? outcome.result : undefined;
  const event: AuditEventInput = {
    kind: 'request',
    actor,
    address,
    terminal,
    sessionId,
    customer,
    op: request.op,
    requestId: request.id,
    amountCents,
    outcome: outcome.ok ? 'ok' : 'error',
    code: outcome.ok ? undefined : outcome.code,
    balanceAfterCents: result ? (typeof result.balanceCents === 'number' ? result.balanceCents : null) : undefined,
    txId: result ? (typeof result.txId === 'string' ? result.txId : null) : undefined,
    detail: outcome.ok && outcome.replayed ? { replayed: true } : undefined,
  };
  if (outcome.alerts.length === 0) return [event];
  const events = [event];
  for (const alert of outcome.alerts) {
    events.push({
      kind: 'fraud_alert',
      // At the counter the teller is the actor; the alert's account is the customer served.
      actor: customer === undefined ? alert.user : actor,
      address,
      terminal,
      sessionId,
      customer,
      op: alert.op,
      amountCents: alert.amountCents,
      requestId: request.id,
      detail: { rule: alert.rule },
    });
  }
  return events;
}

/** One outbox row as committed: the drain records `event` (JSON) under this id. */
export interface OutboxRow {
  id: number;
  event: string;
  /**
   * Set by {@link writeOutbox} only, on the rows it hands back in memory: the event as the logs will
   * hold it less seq, ts and detail.outbox (a NormalizedEventJson: normalized, so redacted), which
   * the drain records without parsing `event` again. Rows read back from a table never have it and
   * take the parse-and-normalize path, which writes the same bytes.
   */
  normalized?: NormalizedEventJson;
}

/** A mutation's outcome with the outbox rows its job committed, handed to the drain after the commit. */
export type AuditedOutcome = MutationOutcome & { outbox?: OutboxRow[] };

const inserts = new WeakMap<Database, Statement>();

/** Inside the mutation's job (its savepoint): the events join the mutation's transaction. */
export function writeOutbox(db: Database, events: AuditEventInput[]): OutboxRow[] {
  let insert = inserts.get(db);
  if (!insert) {
    insert = db.prepare('INSERT INTO audit_outbox (event) VALUES (?)');
    inserts.set(db, insert);
  }
  return events.map((e) => {
    const event = JSON.stringify(e);
    // Normalized here, in the ledger's thread: the main thread only splices in seq, ts and
    // detail.outbox (audit-outbox-drain.ts). The table keeps the event as it always did.
    return { id: Number(insert.run(event).lastInsertRowid), event, normalized: normalizedEventJson(e) };
  });
}

/**
 * Apply a mutation and, when there is an envelope, its audit events in the same job. The
 * rows travel back with the outcome, so the drain needs no read of the ledger per commit
 * (a steady stream of reads on another connection keeps SQLite from resetting its WAL).
 */
export function withOutbox(
  db: Database,
  envelope: OutboxEnvelope | undefined,
  request: MutatingRequest,
  apply: () => MutationOutcome,
): AuditedOutcome {
  const outcome = apply();
  if (!envelope) return outcome;
  const outbox = writeOutbox(db, mutationAuditEvents(envelope, request, outcome));
  // A success as a literal: `{ ...outcome, outbox }` was 0.87 µs and this 0.04 µs (node, alone).
  if (outcome.ok) {
    return { ok: true, result: outcome.result, replayed: outcome.replayed, alerts: outcome.alerts, outbox };
  }
  return { ...outcome, outbox };
}
