/**
 * The shared ledger on PostgreSQL as one instance among several holds it: every read and write is
 * a query (the session store answers later, not now); per-name lockouts, terminals and operator
 * actions are the database's, so every instance enforces the same; the outbox rows and operator
 * actions this instance claims go to its own audit chain.
 */
import type { AuditSink } from '../../audit/index.js';
import type { AuthAccountStore } from '../auth/types.js';
import { RunRetention } from '../ledger/applied-retention.js';
import type { AuditedOutcome } from '../ledger/index.js';
import { PgAddressSlots } from '../ledger/postgres/pg-address-slots.js';
import { PgOutboxDrain } from '../ledger/postgres/pg-outbox-drain.js';
import type { PostgresLedger } from '../ledger/postgres/postgres-ledger.js';
import type { SessionAccount, SessionStore } from '../session/services.js';
import type { TerminalLookup } from '../terminals/index.js';
import { type BankLedger, type OutboxDrain, toAlertFigures } from './bank-ledger.js';

/**
 * How often the terminal table is read again: the TLS gate checks a certificate synchronously
 * against this copy, and the revocation sweep (1 s) against the same, so a revocation made on
 * any instance (or by the CLI) ends sessions everywhere within 2 s.
 */
const TERMINAL_REFRESH_MS = 500;

export interface PostgresBankLedgerOptions {
  ledger: PostgresLedger;
  requestHashKey: Uint8Array;
  lockout: { threshold: number; lockoutMs: number };
  /** A test clock; otherwise the database's. */
  clock?: () => number;
  onError: (err: unknown) => void;
}

export async function openPostgresBankLedger(options: PostgresBankLedgerOptions): Promise<BankLedger> {
  const { ledger } = options;
  const terminals = await TerminalDirectory.start(ledger, options.onError);
  /** Mutations sent and not yet answered: closing waits for them. */
  const inFlight = new Set<Promise<unknown>>();
  const store: SessionStore & AuthAccountStore = {
    requestHashKey: options.requestHashKey,
    getAccount: (id) => ledger.getAccount(id) as Promise<SessionAccount | null>,
    findAccount: (user) => ledger.findAccount(user),
    balance: (id) => ledger.balance(id),
    withdrawnOn: (id, day) => ledger.withdrawnOn(id, day),
    balanceView: (id, day) => ledger.balanceView(id, day),
    history: (id, limit, before) => ledger.history(id, limit, before),
    findApplied: (id, requestId) => ledger.findApplied(id, requestId),
    isNameLocked: (user) => ledger.nameLocked(user),
  };
  const { threshold, lockoutMs } = options.lockout;
  // The applied ids are stamped by the database's clock (or the test clock), so the run starts there.
  const retention = new RunRetention(await ledger.nowMs());
  const addressSlots = new PgAddressSlots(ledger.pool, options.clock);
  return {
    kind: 'postgres',
    store,
    mutate: (target, request, prepared, audit): Promise<AuditedOutcome> => {
      const done = ledger.mutate(target, request, prepared, audit);
      const settled: Promise<unknown> = done.then(
        () => inFlight.delete(settled),
        () => inFlight.delete(settled),
      );
      inFlight.add(settled);
      return done;
    },
    setTotpPending: (accountId, sealedSecret) => ledger.setTotpPending(accountId, sealedSecret),
    lockout: {
      recordFailure: async (user) => {
        const out = await ledger.loginFailure(user, threshold, lockoutMs);
        return { locked: out.locked, justLocked: out.justLocked };
      },
      recordSuccess: async (user, accountId, totpStep) => {
        const out = await ledger.loginSuccess(user, accountId, totpStep);
        return out.active && out.totpAccepted;
      },
    },
    registrar: { createAccount: (input) => ledger.createAccount(input) },
    sharedAddressSlots: addressSlots,
    terminalLookup: terminals.lookup,
    terminalFigures: async () =>
      (await ledger.listTerminals()).map((t) => ({
        id: t.id,
        status: t.status,
        cashCents: t.cashCents,
        lastSeenAt: null,
      })),
    alertFigures: async (limit) => toAlertFigures(await ledger.listAlerts({ limit })),
    get queueDepth() {
      return inFlight.size;
    },
    writerThreadStat: null,
    outbox: (audit: AuditSink, onError) =>
      new PgOutboxDrain({ pool: ledger.pool, instanceId: ledger.instanceId, audit, onError }),
    auditOperatorActions: async (_audit: AuditSink, outbox: OutboxDrain) => {
      const claimed = await ledger.claimOperatorActions();
      outbox.accept(claimed);
      return claimed.length;
    },
    prune: async (appliedRetentionMs) => {
      await ledger.pruneApplied(appliedRetentionMs, retention.notAfterMs(appliedRetentionMs));
      await ledger.pruneLoginFailures();
      await addressSlots.prune();
    },
    closeWriter: async () => {
      terminals.stop();
      await Promise.all(inFlight);
    },
    close: () => ledger.close(),
  };
}

/** The terminals table, read again every {@link TERMINAL_REFRESH_MS}, for synchronous lookups. */
class TerminalDirectory {
  #byId = new Map<string, { status: 'active' | 'revoked'; fingerprint: string }>();
  #timer: NodeJS.Timeout | null = null;

  static async start(ledger: PostgresLedger, onError: (err: unknown) => void): Promise<TerminalDirectory> {
    const directory = new TerminalDirectory();
    await directory.#refresh(ledger);
    let running = false;
    directory.#timer = setInterval(() => {
      if (running) return;
      running = true;
      directory
        .#refresh(ledger)
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, TERMINAL_REFRESH_MS);
    directory.#timer.unref();
    return directory;
  }

  readonly lookup: TerminalLookup = (id) => this.#byId.get(id) ?? null;

  async #refresh(ledger: PostgresLedger): Promise<void> {
    const next = new Map<string, { status: 'active' | 'revoked'; fingerprint: string }>();
    for (const t of await ledger.listTerminals()) next.set(t.id, { status: t.status, fingerprint: t.fingerprint });
    this.#byId = next;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
