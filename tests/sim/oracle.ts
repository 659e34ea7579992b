import type Database from 'better-sqlite3';
import type { AuditEvent } from '../../audit/index.js';
import type { MutatingRequest } from '../../server/ledger/index.js';
import { formatTxId, parseTxId } from '../../server/ledger/index.js';
import { prepareCashChecks } from './oracle-cash.js';
import { prepareOracleQueries, type TxRow } from './oracle-queries.js';
import { CASH_OPS, fmt, originalMutation, TX_KIND, UNKNOWN_OUTCOME_CODES } from './oracle-rules.js';
import type { KnownGap } from './sim-config.js';

/**
 * The invariants, checked against ground truth: the ledger file as an outside connection sees
 * it (what is committed) and the simulated audit file, never against what the server's code
 * says it did. Every mutation the ATMs generate is registered first, so each committed
 * transaction can be traced back to exactly one request.
 */

export class SimViolation extends Error {}

interface Generated {
  accountId: number;
  request: MutatingRequest;
  /** The terminal of the session that sent it; null from a remote session. */
  terminal: string | null;
}

interface Applied {
  /** The transaction the id moved money in; null for ops without one (update_contact). */
  txSeq: number | null;
  createdMs: number;
  /** Simulated time (no jumps) and the server's run when it was applied. */
  realMs: number;
  epoch: number;
}

/** One request's job in a writer turn and what the server's code answered for it. */
export interface TurnItem {
  accountId: number;
  request: MutatingRequest;
  outcome?: { ok: true; replayed: boolean } | { ok: false; code: string } | undefined;
  /** The session's terminal as the writer saw it (id and certificate fingerprint); null = remote. */
  terminal?: { id: string; fingerprint: string } | null | undefined;
}

export const APPLIED_RETENTION_MS = 24 * 3600 * 1000;

export class Oracle {
  private readonly generated = new Map<string, Generated>();
  private readonly applied = new Map<string, Applied>();
  private readonly claims = new Map<number, string>();
  private readonly acked = new Map<string, { txId: string | null }>();
  private readonly lockedAccounts = new Set<number>();
  private readonly gapIds: Record<KnownGap, Set<string>> = { retention: new Set() };
  /** Ids whose outbox rows a recovery deleted while their log records were not yet synced. */
  private readonly trustedUnsynced = new Set<string>();
  private readonly unrecorded = new Set<string>();
  /** Ids applied again after they were over 24 h old in simulated time too (allowed). */
  private readonly expired = new Set<string>();
  private lastSeq = 0;
  private readonly q: ReturnType<typeof prepareOracleQueries>;
  private readonly cashProblem: () => string | null;

  constructor(
    db: Database.Database,
    private readonly accountIdOf: (user: string) => number | undefined,
    private readonly strict: ReadonlySet<KnownGap>,
    private readonly wallMs: () => number,
    private readonly rules: { dailyWithdrawalLimitCents: number; reversalWindowSec: number },
    /** The fingerprint on record for a terminal now (the operator re-enrols with a new one). */
    private readonly fingerprintOf: (terminal: string) => string | undefined,
    /** The server's current run and the simulated time, which no clock jump moves. */
    private readonly run: () => { epoch: number; realMs: number },
  ) {
    this.q = prepareOracleQueries(db);
    this.cashProblem = prepareCashChecks(db);
  }

  get ackedCount(): number {
    return this.acked.size;
  }

  gapCount(gap: KnownGap): number {
    return this.gapIds[gap].size;
  }

  /** The first violation, also when it was thrown where nobody catches (a client's promise chain). */
  violation: string | null = null;

  fail(message: string): never {
    this.violation ??= message;
    throw new SimViolation(message);
  }

  private gap(gap: KnownGap, id: string, message: string): void {
    if (this.strict.has(gap)) this.fail(`${message} (known gap "${gap}", failing because of --strict)`);
    this.gapIds[gap].add(id);
  }

  noteRequest(accountId: number, request: MutatingRequest, terminal: string | null): void {
    this.generated.set(request.id, { accountId, request, terminal });
  }

  /** A start's outbox recovery deleted the rows of these records while they were unsynced in the log. */
  noteTrustedUnsynced(events: readonly AuditEvent[]): void {
    for (const event of events) if (event.requestId) this.trustedUnsynced.add(event.requestId);
  }

  /** The operator's load or unload committed as transaction `seq` (no request id records those). */
  claimOperator(seq: number, what: string): void {
    this.claims.set(seq, `~operator:${what}`);
  }

  setLocked(accountId: number, locked: boolean): void {
    if (locked) this.lockedAccounts.add(accountId);
    else this.lockedAccounts.delete(accountId);
  }

  /** After every step: money is conserved and no customer is overdrawn. */
  checkMoney(): void {
    const row = this.q.totals.get();
    if (!row) this.fail('cannot read the balances');
    if (row.total !== 0) this.fail(`balances sum to ${row.total}, not 0`);
    if (row.low !== null && row.low < 0) this.fail(`a customer balance is negative (${row.low})`);
    if (row.cash !== null && row.cash > 0) this.fail(`a terminal's cash position is negative (${-row.cash})`);
  }

  /**
   * After a writer turn committed (or failed): every id applied in it is new and applied once,
   * every new transaction belongs to exactly one of them and matches its request, answers say
   * "replayed" exactly when the id was applied before, and refusals leave no applied id.
   */
  afterTurn(items: readonly TurnItem[], answersLost = false): void {
    const before = new Set<string>();
    for (const item of items) if (this.applied.has(item.request.id)) before.add(item.request.id);
    const freshAnswers = new Map<string, number>();
    for (const item of items) {
      const id = item.request.id;
      const outcome = item.outcome;
      if (!outcome) continue;
      if (outcome.ok) {
        if (outcome.replayed && !before.has(id) && !this.isCommitted(item)) {
          this.fail(`${id} was answered "replayed" but was never applied`);
        }
        if (!outcome.replayed) {
          if (before.has(id)) {
            this.judgeForgotten(id, `${id} was applied before, yet answered as new (not replayed)`);
          }
          freshAnswers.set(id, (freshAnswers.get(id) ?? 0) + 1);
        }
      } else if (outcome.code === 'IDEMPOTENCY_CONFLICT') {
        this.fail(`${id} re-sent with identical content was refused IDEMPOTENCY_CONFLICT`);
      } else if (!UNKNOWN_OUTCOME_CODES.has(outcome.code) && before.has(id) && this.forgotten(id) === null) {
        this.fail(`${id} was applied before, yet refused ${outcome.code}`);
      }
    }
    for (const [id, n] of freshAnswers) if (n > 1) this.fail(`${id} was answered as newly applied ${n} times`);

    const seen = new Set<string>();
    for (const item of items) {
      const id = item.request.id;
      if (seen.has(id)) continue;
      seen.add(id);
      const row = this.q.applied.get(item.accountId, id);
      if (!row) continue;
      const txId = (JSON.parse(row.response) as { txId?: unknown }).txId;
      const txSeq = typeof txId === 'string' ? parseTxId(txId) : null;
      const known = this.applied.get(id);
      if (known) {
        if (known.txSeq === txSeq) continue;
        this.judgeForgotten(id, `${id} applied twice: first as ${fmt(known.txSeq)}, now as ${fmt(txSeq)}`);
      }
      if (txSeq !== null) {
        const other = this.claims.get(txSeq);
        if (other !== undefined) this.fail(`${formatTxId(txSeq)} is claimed by both ${other} and ${id}`);
        this.claims.set(txSeq, id);
      }
      this.applied.set(id, { txSeq, createdMs: row.created_ms, ...this.run() });
      // The process dies between this COMMIT and the audit record: the record is never made.
      if (answersLost) this.unrecorded.add(id);
      if (this.lockedAccounts.has(item.accountId)) {
        this.fail(`${id} (${item.request.op}) was applied to account ${item.accountId} after its lock committed`);
      }
      if (CASH_OPS.has(item.request.op) && !known) this.checkTerminal(id, item);
    }
    for (const tx of this.q.newTx.all(this.lastSeq)) {
      const id = this.claims.get(tx.seq);
      if (id === undefined) {
        this.fail(
          `${formatTxId(tx.seq)} (${tx.kind} ${tx.amount_cents}) moved money but no applied request id records it`,
        );
      }
      if (!id.startsWith('~operator:')) this.checkContent(tx, id);
      this.lastSeq = tx.seq;
    }
  }

  /** Cash moved for `id` just now: in a terminal session whose certificate is the one on record. */
  private checkTerminal(id: string, item: TurnItem): void {
    const terminal = item.terminal;
    if (!terminal) this.fail(`${id} (${item.request.op}) moved cash in a remote session (wants TERMINAL_REQUIRED)`);
    if (this.fingerprintOf(terminal.id) !== terminal.fingerprint) {
      this.fail(`${id} (${item.request.op}) moved cash at ${terminal.id} with a certificate no longer on record`);
    }
  }

  /**
   * Whether the server may have forgotten the id (its stamp is over 24 h old by the server's
   * clock), and with what right: `expired` when it is over 24 h old in simulated time too;
   * `jumped` when only a forward clock jump makes it look old and it was applied in an earlier
   * run (the known gap "retention": a restart loses the running time); null when the server
   * must still know it (the same run's ids are aged by running time, applied-retention.ts).
   */
  private forgotten(id: string): 'expired' | 'jumped' | null {
    const applied = this.applied.get(id);
    if (applied === undefined || applied.createdMs >= this.wallMs() - APPLIED_RETENTION_MS) return null;
    const run = this.run();
    if (run.realMs - applied.realMs >= APPLIED_RETENTION_MS) return 'expired';
    return applied.epoch < run.epoch ? 'jumped' : null;
  }

  /** An id applied again: allowed once expired, the known gap after a jump across a restart, else `violation`. */
  private judgeForgotten(id: string, violation: string): void {
    const forgotten = this.forgotten(id);
    if (forgotten === null) this.fail(violation);
    if (forgotten === 'expired') this.expired.add(id);
    else {
      this.gap(
        'retention',
        id,
        `${id} was applied again after the server pruned its id (forward clock jump across a restart)`,
      );
    }
  }

  /** Applied a second time after its id was rightly or (known gap) wrongly forgotten: its later checks follow from that. */
  private reapplied(id: string): boolean {
    return this.gapIds.retention.has(id) || this.expired.has(id);
  }

  private isCommitted(item: TurnItem): boolean {
    return this.q.applied.get(item.accountId, item.request.id) !== undefined;
  }

  private checkContent(tx: TxRow, id: string): void {
    const generated = this.generated.get(id);
    if (!generated) this.fail(`${formatTxId(tx.seq)} is claimed by ${id}, which no ATM sent`);
    const { request, accountId, terminal } = generated;
    const wrong = (what: string) =>
      this.fail(`${formatTxId(tx.seq)} does not match its request ${id} (${request.op}): ${what}`);
    if (TX_KIND[request.op] !== tx.kind) wrong(`kind ${tx.kind}`);
    if (tx.account_id !== accountId) wrong(`account ${tx.account_id}`);
    if (request.op === 'reverse') {
      const original = parseTxId(request.txId);
      if (tx.reverses_seq !== original) wrong(`reverses ${fmt(tx.reverses_seq)}`);
      const withdrawal = original === null ? undefined : this.q.tx.get(original);
      if (withdrawal?.amount_cents !== tx.amount_cents) wrong(`amount ${tx.amount_cents}`);
      if (withdrawal?.terminal !== tx.terminal) {
        wrong(
          `reversed at ${tx.terminal} a withdrawal dispensed at ${withdrawal?.terminal} (only the dispensing terminal may)`,
        );
      }
    } else if ('amountCents' in request && request.amountCents !== tx.amount_cents) {
      wrong(`amount ${tx.amount_cents}`);
    }
    if (CASH_OPS.has(request.op) && tx.terminal !== terminal) wrong(`cash at ${tx.terminal}, sent from ${terminal}`);
    if (request.op === 'transfer' && tx.counterparty_id !== this.accountIdOf(request.to)) {
      wrong(`counterparty ${tx.counterparty_id}`);
    }
  }

  /** An ATM saw a mutation acknowledged: it must be committed, with the answer's transaction. */
  onAck(id: string, result: Record<string, unknown>): void {
    const applied = this.applied.get(id);
    if (!applied) this.fail(`${id} was acknowledged to the ATM but is not committed`);
    const txId = typeof result.txId === 'string' ? result.txId : null;
    if (txId !== null && parseTxId(txId) !== applied.txSeq) {
      this.fail(`${id} was acknowledged as ${txId} but committed as ${fmt(applied.txSeq)}`);
    }
    const previous = this.acked.get(id);
    if (previous && previous.txId !== txId && !this.reapplied(id)) {
      this.fail(`${id} acknowledged as ${previous.txId}, later as ${txId}`);
    }
    this.acked.set(id, { txId });
  }

  onRefusal(id: string, code: string): void {
    if (code === 'IDEMPOTENCY_CONFLICT') this.fail(`${id}: an identical re-send was refused IDEMPOTENCY_CONFLICT`);
  }

  /**
   * After a restart and at the end: the whole file against everything observed. Every applied
   * row was seen being committed, every transaction is claimed, every acknowledged id is still
   * applied (unless old enough to be pruned) with the acknowledged transaction.
   */
  fullCheck(): void {
    this.checkMoney();
    this.afterTurn([]);
    for (const row of this.q.allApplied.iterate()) {
      const known = this.applied.get(row.request_id);
      if (!known) this.fail(`${row.request_id} is applied in the ledger but was never seen committing`);
    }
    const count = this.q.txCount.get();
    if (count?.n !== this.claims.size) {
      this.fail(`the ledger has ${count?.n} transactions, the requests account for ${this.claims.size}`);
    }
    const over = this.q.overLimit.get(this.rules.dailyWithdrawalLimitCents);
    if (over) this.fail(`account ${over.account_id} withdrew ${over.net} net on ${over.day}, over the daily limit`);
    const cash = this.cashProblem();
    if (cash !== null) this.fail(cash);
    const late = this.q.lateReversal.get(this.rules.reversalWindowSec * 1000);
    if (late) this.fail(`${formatTxId(late.seq)} reversed a withdrawal ${late.late} ms after it, outside the window`);
    const prunable = this.wallMs() - APPLIED_RETENTION_MS;
    for (const [id, ack] of this.acked) {
      const applied = this.applied.get(id);
      const generated = this.generated.get(id);
      if (!applied || !generated) this.fail(`${id} was acknowledged but is unknown`);
      if (applied.createdMs < prunable) continue;
      if (!this.q.applied.get(generated.accountId, id)) this.fail(`acknowledged ${id} is no longer applied`);
      if (ack.txId !== null && parseTxId(ack.txId) !== applied.txSeq && !this.reapplied(id)) {
        this.fail(`${id} changed transaction`);
      }
    }
  }

  /**
   * Each acknowledged mutation has exactly one audit record of it being applied (replays are
   * marked `replayed`), and each such record is of a committed mutation, also across crashes
   * (the audit outbox: rows committed but not yet in the log are drained after the restart);
   * no outbox row reaches the log twice.
   */
  auditCheck(file: readonly AuditEvent[], lost: readonly AuditEvent[]): void {
    const originals = new Map<string, number>();
    let lastSeq = 0;
    let lastOutbox = 0;
    for (const event of file) {
      if (event.seq <= lastSeq) this.fail(`audit seq ${event.seq} follows ${lastSeq}`);
      lastSeq = event.seq;
      const outbox = event.detail?.outbox;
      if (typeof outbox === 'number') {
        if (outbox <= lastOutbox) this.fail(`audit outbox row ${outbox} reached the log after row ${lastOutbox}`);
        lastOutbox = outbox;
      }
      const id = originalMutation(event);
      if (id === null) continue;
      originals.set(id, (originals.get(id) ?? 0) + 1);
      if (!this.applied.has(id)) this.fail(`the audit log says ${id} was applied, the ledger does not have it`);
    }
    const lostOriginals = new Set<string>();
    for (const event of lost) {
      const id = originalMutation(event);
      if (id !== null) lostOriginals.add(id);
    }
    for (const id of this.acked.keys()) {
      const n = originals.get(id) ?? 0;
      if (n > 1 && !this.reapplied(id)) this.fail(`acknowledged ${id} has ${n} audit records`);
      if (n === 0) {
        if (lostOriginals.has(id) && this.trustedUnsynced.has(id)) {
          this.fail(`acknowledged ${id} lost its audit record: a recovery trusted an unsynced log`);
        }
        if (lostOriginals.has(id) || this.unrecorded.has(id)) {
          this.fail(`acknowledged ${id} lost its audit record in a crash`);
        }
        this.fail(`acknowledged ${id} has no audit record`);
      }
    }
  }
}
