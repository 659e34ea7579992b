import {
  type AuditedOutcome,
  applyMutation,
  type LedgerConfig,
  type LedgerStore,
  LedgerWriter,
  type MutatingRequest,
  type MutationOutcome,
  type OutboxEnvelope,
  type OutboxRow,
  type PreparedChange,
  withOutbox,
} from '../../server/ledger/index.js';
import type { MutationOutcomeLike, PreparedChangeLike, SessionLedger } from '../../server/session/services.js';
import type { TurnItem } from './oracle.js';
import type { PlantedBug } from './sim-config.js';
import type { SimEvent } from './sim-loop.js';
import type { World } from './world.js';

/**
 * The server's ledger as the session layer sees it (SessionLedger), around the REAL LedgerWriter
 * and applyMutation on the real SQLite file, exactly as app.ts's in-thread writer wires them.
 * What the sim adds is *when*: mutations wait for a simulated writer turn (the writer's own
 * setImmediate), so a crash can land with jobs queued, inside the open batch or right after
 * COMMIT; and faults enter at the writer interface (a job that aborts the whole transaction,
 * SQLite's own max_page_count for disk full). Each job is app.ts's: the REAL applyMutation inside
 * the REAL withOutbox, so the mutation's audit events commit in its transaction; after the
 * commit the rows go to the drain (`onCommitted`, app.ts's outbox.accept) before the answer.
 * Planted bugs are wrappers here, nothing in server/.
 */

type Target = {
  accountId: number;
  user: string;
  nowMs: number;
  terminal?: { id: string; fingerprint: string } | null;
};

interface Item extends TurnItem {
  target: Target;
  prepared: PreparedChangeLike | undefined;
  envelope: OutboxEnvelope | undefined;
  settle: (result: { ok: true; value: AuditedOutcome } | { ok: false; error: unknown }) => void;
  result?: { ok: true; value: AuditedOutcome } | { ok: false; error: unknown };
}

/** A job that throws away the open transaction: the writer then fails the batch as a whole. */
function abortTransaction(store: LedgerStore): void {
  store.database.exec('ROLLBACK');
}

export class SimLedger implements SessionLedger {
  private pending: Item[] = [];
  private prunes: Array<() => void> = [];
  private turnEvent: SimEvent | null = null;
  private alive = true;
  private readonly writer: LedgerWriter;
  private diskFullUntilUs = -1;

  constructor(
    private readonly world: World,
    readonly store: LedgerStore,
    private readonly config: LedgerConfig,
    private readonly plant: PlantedBug | undefined,
    /** A batch committed: its outbox rows, in commit order, before any answer leaves. */
    private readonly onCommitted: (rows: readonly OutboxRow[] | undefined) => void,
  ) {
    this.writer = new LedgerWriter(store, {
      maxBatch: world.profile.maxBatch,
      onJobError: () => {
        world.stats.jobErrors++;
      },
    });
  }

  mutate(
    target: Target,
    request: MutatingRequest,
    prepared?: PreparedChangeLike,
    audit?: OutboxEnvelope,
  ): Promise<MutationOutcomeLike> {
    if (!this.alive) return new Promise(() => {});
    return new Promise((resolve, reject) => {
      const item: Item = {
        target,
        accountId: target.accountId,
        request,
        prepared,
        terminal: target.terminal ?? null,
        // Planted "no-outbox": the audit record is made when the answer leaves, as before the outbox.
        envelope: this.plant === 'no-outbox' ? undefined : audit,
        settle: (result) => (result.ok ? resolve(result.value) : reject(result.error)),
      };
      if (this.plant === 'ack-before-commit') {
        // Planted: answer from a dry run now, commit at the next turn.
        item.settle({ ok: true, value: this.dryRun(item) });
        item.settle = () => {};
      }
      this.pending.push(item);
      this.scheduleTurn();
    });
  }

  /** TOTP enrolment and re-authentication are not simulated (no session here logs in twice). */
  setTotpPending(): Promise<boolean> {
    return Promise.reject(new Error('the simulation does not provide TOTP enrolment'));
  }

  resetFailures(): Promise<boolean> {
    return Promise.reject(new Error('the simulation does not provide re-authentication'));
  }

  /** app.ts prunes through the writer, as a job of its own. */
  prune(olderThanMs: number, notAfterMs: number): void {
    if (!this.alive) return;
    this.prunes.push(() => {
      this.writer.submit((s) => s.pruneApplied(olderThanMs, notAfterMs)).catch(() => {});
    });
    this.scheduleTurn();
  }

  /** Disk full for a while: SQLite refuses to grow the file past its current size. */
  diskFull(durationUs: number): void {
    const pages = this.store.database.pragma('page_count', { simple: true }) as number;
    this.store.database.pragma(`max_page_count = ${pages}`);
    this.diskFullUntilUs = this.world.loop.nowUs + durationUs;
    this.world.loop.after(durationUs, 'disk-space-back', () => {
      if (!this.alive || this.world.loop.nowUs < this.diskFullUntilUs) return;
      this.store.database.pragma('max_page_count = 4294967294');
      this.world.trace('disk has space again');
    });
  }

  /** The process died: nothing queued or in flight will ever be answered. */
  kill(): void {
    this.alive = false;
    this.world.loop.cancel(this.turnEvent);
    this.pending = [];
    this.prunes = [];
  }

  /** Run what is queued now (clean shutdown at the end of a run). */
  async drain(): Promise<void> {
    this.world.loop.cancel(this.turnEvent);
    this.turnEvent = null;
    if (this.pending.length > 0 || this.prunes.length > 0) await this.turn(false);
  }

  private scheduleTurn(): void {
    this.turnEvent ??= this.world.loop.after(
      this.world.rng.int(0, this.world.profile.writerTurnUs),
      'writer-turn',
      () => {
        this.turnEvent = null;
        return this.turn(true);
      },
    );
  }

  private job(item: Item): (store: LedgerStore) => AuditedOutcome {
    const ctx = { ...item.target, config: this.config };
    const prepared = item.prepared as PreparedChange | undefined;
    const planted = (store: LedgerStore): LedgerStore => {
      if (this.plant === 'double-apply') return forgetfulStore(store);
      if (this.plant === 'reverse-elsewhere') return everywhereStore(store, item.target.terminal?.id ?? null);
      if (this.plant === 'ignore-lock') return lockBlindStore(store);
      return store;
    };
    return (store) =>
      withOutbox(store.database, item.envelope, item.request, () =>
        applyMutation(planted(store), ctx, item.request, prepared),
      );
  }

  private dryRun(item: Item): MutationOutcome {
    const db = this.store.database;
    db.exec('BEGIN');
    try {
      return applyMutation(this.store, { ...item.target, config: this.config }, item.request, item.prepared);
    } finally {
      db.exec('ROLLBACK');
    }
  }

  private async turn(faults: boolean): Promise<void> {
    if (!this.alive) return;
    const { world } = this;
    const items = this.pending;
    this.pending = [];
    for (const prune of this.prunes.splice(0)) prune();
    const profile = world.profile;
    const crashInBatch = faults && world.rng.chance(profile.crashInBatch);
    const crashAfterCommit = faults && !crashInBatch && world.rng.chance(profile.crashAfterCommit);
    const failBatch = faults && !crashInBatch && world.rng.chance(profile.commitFailure);
    const submitted = items.map((item) =>
      this.writer.submit(this.job(item)).then(
        (value) => {
          item.result = { ok: true, value };
        },
        (error: unknown) => {
          item.result = { ok: false, error };
        },
      ),
    );
    // The abort goes last so every job's writes are in the transaction it throws away.
    if (crashInBatch || failBatch) submitted.push(this.writer.submit(abortTransaction).catch(() => {}));
    await Promise.allSettled(submitted);
    for (const item of items) item.outcome = outcomeOf(item.result);
    world.stats.turns++;
    if (failBatch) world.stats.batchFailures++;
    const jobs = items.slice(0, 6).map((item) => `${item.request.id}:${describeOutcome(item.outcome)}`);
    if (items.length > 6) jobs.push(`+${items.length - 6} more`);
    world.trace(
      `writer turn: ${items.length} job(s) [${jobs.join(' ')}]${crashInBatch ? ', crash before COMMIT' : ''}${failBatch ? ', batch fails' : ''}${crashAfterCommit ? ', crash after COMMIT' : ''}`,
    );
    world.oracle.afterTurn(items, crashInBatch || crashAfterCommit);
    if (crashInBatch || crashAfterCommit) {
      world.server.crash(crashInBatch ? 'inside a writer batch' : 'right after a COMMIT');
      return;
    }
    for (const item of items) if (item.result?.ok) this.onCommitted(item.result.value.outbox);
    for (const item of items) item.settle(item.result ?? { ok: false, error: new Error('job never ran') });
  }
}

function describeOutcome(outcome: TurnItem['outcome']): string {
  if (!outcome) return '?';
  if (!outcome.ok) return outcome.code;
  return outcome.replayed ? 'replayed' : 'ok';
}

function outcomeOf(result: Item['result']): TurnItem['outcome'] {
  if (!result) return undefined;
  if (!result.ok) {
    const code = (result.error as { code?: unknown }).code;
    return { ok: false, code: typeof code === 'string' ? code : 'INTERNAL' };
  }
  return result.value.ok ? { ok: true, replayed: result.value.replayed } : { ok: false, code: result.value.code };
}

/** Forwards everything else to the real store, bound to it. */
function proxied(store: LedgerStore, overrides: Record<string | symbol, unknown>): LedgerStore {
  return new Proxy(store, {
    get(target, property) {
      if (property in overrides) return overrides[property];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Planted bug "reverse-elsewhere": the reversal's check that the withdrawal was dispensed by
 * the session's own terminal is bypassed (the withdrawal reads as if dispensed here).
 */
function everywhereStore(store: LedgerStore, here: string | null): LedgerStore {
  return proxied(store, {
    transactionRow: (seq: number) => {
      const row = store.transactionRow(seq);
      return row?.kind === 'withdrawal' && here !== null ? { ...row, terminal: here } : row;
    },
  });
}

/** Planted bug "ignore-lock": the writer's transaction no longer sees an operator's lock. */
function lockBlindStore(store: LedgerStore): LedgerStore {
  return proxied(store, {
    accountRow: (id: number) => {
      const row = store.accountRow(id);
      return row ? { ...row, locked: 0 } : row;
    },
  });
}

/**
 * Planted bug "double-apply": the idempotency lookup is bypassed, so a re-sent id is applied
 * again (its applied row replaced instead of tripping the primary key).
 */
function forgetfulStore(store: LedgerStore): LedgerStore {
  const forget = store.database.prepare('DELETE FROM applied_requests WHERE account_id = ? AND request_id = ?');
  return new Proxy(store, {
    get(target, property) {
      if (property === 'findApplied') return () => null;
      if (property === 'recordApplied') {
        return (accountId: number, requestId: string, ...rest: [string, Record<string, unknown>, number]) => {
          forget.run(accountId, requestId);
          target.recordApplied(accountId, requestId, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
