import type { Database } from 'better-sqlite3';
import type { LedgerStore } from './ledger-store.js';
import { statementsPerDatabase } from './statement-cache.js';

/**
 * The server's own writes besides requests and logins: forgetting applied ids past their
 * retention, deleting outbox rows both audit logs hold, acknowledging the operator actions it
 * audited. Writer jobs like every other write, so they run on the writer's connection (the
 * worker thread in production) and never contend with a batch from outside it.
 */
export type UpkeepJob =
  /** applied-retention.ts: older than `olderThanMs` and stamped before `notAfterMs`. */
  | { op: 'prune_applied'; olderThanMs: number; notAfterMs: number }
  /** Outbox rows up to `upTo`, once both logs are durable past them (audit-outbox-drain.ts). */
  | { op: 'outbox_delete'; upTo: number }
  | { op: 'ack_operator_actions'; upTo: number };

export type UpkeepOutcome = { op: 'prune_applied' | 'outbox_delete' | 'ack_operator_actions'; removed: number };

const statements = statementsPerDatabase((db: Database) => ({
  outboxDelete: db.prepare<[number]>('DELETE FROM audit_outbox WHERE id <= ?'),
}));

/** Run one upkeep job; call it inside a writer job. */
export function applyUpkeepJob(store: LedgerStore, job: UpkeepJob): UpkeepOutcome {
  switch (job.op) {
    case 'prune_applied':
      return { op: job.op, removed: store.pruneApplied(job.olderThanMs, job.notAfterMs) };
    case 'outbox_delete':
      return { op: job.op, removed: statements(store).outboxDelete.run(job.upTo).changes };
    case 'ack_operator_actions':
      store.ackOperatorActions(job.upTo);
      return { op: job.op, removed: 0 };
  }
}
