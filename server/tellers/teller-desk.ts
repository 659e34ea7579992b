import type { AuditEventInput } from '../../audit/index.js';
import { passwordProblems, type Request, type RequestOf, TELLER_OWN_OPS } from '../../protocol/index.js';
import { requestHash } from '../ledger/request-hash.js';
import {
  answered,
  type HandledRequest,
  handleRead,
  isMutation,
  prepareMutation,
  type RequestContext,
  refused,
  submitMutation,
} from '../session/request-handler.js';
import type { SessionAccount, SessionServices } from '../session/services.js';

/**
 * A teller session's desk (protocol/README.md §5.2): who is served, and where each request goes. The
 * teller's own ops (ping, logout, change_password, totp_*) use the teller's context; `serve` checks
 * the customer through the authenticator's login path (lockout, per-address slots, admission, the
 * same answers); every other op runs in the served customer's context, exactly as if the customer
 * had logged in at this terminal, or gets NOT_SERVING while no one is served.
 */

/** Ops a teller session answers for the teller's own account, served or not. */
const OWN_OPS: ReadonlySet<Request['op']> = new Set(TELLER_OWN_OPS);

type Served =
  | { kind: 'serving'; account: SessionAccount; ctx: RequestContext; since: number }
  /** The customer was locked or closed (or their password changed) while served: ACCOUNT_LOCKED until the next serve or release. */
  | { kind: 'lost'; user: string; reason: string };

export interface TellerDeskOptions {
  services: SessionServices;
  /** The teller's own context (its `counter` is filled in by the desk). */
  ctx: RequestContext;
  /** Aborted when the connection closes: a serve still queued for its password check is dropped. */
  signal: AbortSignal;
  /** Records an audit event of this session (the connection adds actor, customer and where). */
  audit: (event: AuditEventInput) => void;
}

export class TellerDesk {
  private served: Served | null = null;
  private readonly services: SessionServices;
  private readonly ctx: RequestContext;

  constructor(private readonly options: TellerDeskOptions) {
    this.services = options.services;
    this.ctx = options.ctx;
    this.ctx.counter = {
      teller: { id: options.ctx.account.id, user: options.ctx.account.user },
      customer: () => this.customer,
    };
  }

  /** The teller's user name: the actor of every event of this session. */
  get teller(): string {
    return this.ctx.account.user;
  }

  /** The customer served now, or null. */
  get customer(): string | null {
    return this.served?.kind === 'serving' ? this.served.account.user : null;
  }

  /** What the authority sweep checks about the customer served, or null. */
  get servedSession(): { accountId: number; passwordHash: string; openedAt: number } | null {
    if (this.served?.kind !== 'serving') return null;
    return {
      accountId: this.served.account.id,
      passwordHash: this.served.account.passwordHash,
      openedAt: this.served.since,
    };
  }

  /** The served customer lost their authority (an operator's lock or close): stop acting for them. */
  stopServing(reason: string): void {
    if (this.served?.kind !== 'serving') return;
    const user = this.served.account.user;
    this.options.audit({ kind: 'serve_ended', customer: user, detail: { user, reason } });
    this.served = { kind: 'lost', user, reason };
  }

  /** One request of the session, after every earlier one has completed. */
  async handle(request: Request): Promise<HandledRequest> {
    if (OWN_OPS.has(request.op)) return this.run(this.ctx, request);
    // An operator's lock or close of the teller stops the counter at once, before the sweep ends the session.
    const teller = await this.services.ledger.store.getAccount(this.ctx.account.id);
    if (teller?.status !== 'active' || teller.locked) return refused(request.id, 'ACCOUNT_LOCKED');
    switch (request.op) {
      case 'serve':
        return this.serve(request);
      case 'release': {
        const user = this.release('release');
        return answered(request.id, {}, user === null ? {} : { audit: { detail: { released: user } } });
      }
      case 'open_account':
        return this.openAccount(request);
      default:
        break;
    }
    if (this.served === null) return refused(request.id, 'NOT_SERVING');
    if (this.served.kind === 'lost') return refused(request.id, 'ACCOUNT_LOCKED');
    return this.run(this.served.ctx, request);
  }

  private async run(ctx: RequestContext, request: Request): Promise<HandledRequest> {
    if (!isMutation(request)) return handleRead(this.services, ctx, request);
    const prepared = await prepareMutation(this.services, ctx, request);
    return submitMutation(this.services, ctx, request, prepared);
  }

  /** Ends the service of whoever is served (or lost); returns their name. */
  private release(why: 'release' | 'serve'): string | null {
    const previous = this.served;
    this.served = null;
    if (previous === null) return null;
    const user = previous.kind === 'serving' ? previous.account.user : previous.user;
    this.options.audit({ kind: 'release', customer: user, detail: { user, by: why } });
    return user;
  }

  private async serve(request: RequestOf<'serve'>): Promise<HandledRequest> {
    this.release('serve');
    const { services } = this;
    const outcome = await services.authenticator.login({
      user: request.user,
      password: request.password,
      ...(request.totp === undefined ? {} : { totp: request.totp }),
      address: this.ctx.address,
      deadlineMs: services.clock() + services.limits.handshakeTimeoutMs,
      signal: this.options.signal,
      customersOnly: true,
    });
    services.metrics.logins.inc({ method: 'serve', outcome: outcome.ok ? 'ok' : outcome.code });
    if (!outcome.ok) {
      const abandoned = outcome.code === 'ABANDONED';
      this.options.audit({
        kind: abandoned ? 'serve_abandoned' : 'serve_failed',
        outcome: 'error',
        code: abandoned ? null : outcome.code,
        detail: {
          user: request.user,
          ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        },
      });
      if (outcome.lockedNow) {
        services.metrics.lockouts.inc();
        this.options.audit({ kind: 'lockout', code: 'ACCOUNT_LOCKED', detail: { user: request.user } });
      }
      // ABANDONED: the connection is gone; nothing will be sent.
      const code = outcome.code === 'ABANDONED' ? 'INTERNAL' : outcome.code;
      return refused(request.id, code, undefined, {
        ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      });
    }
    const account = outcome.account;
    const ctx: RequestContext = {
      account,
      sessionId: this.ctx.sessionId,
      address: this.ctx.address,
      terminal: this.ctx.terminal,
      terminalFingerprint: this.ctx.terminalFingerprint ?? null,
      ...(this.ctx.counter ? { counter: this.ctx.counter } : {}),
    };
    this.served = { kind: 'serving', account, ctx, since: services.clock() };
    this.options.audit({ kind: 'serve', outcome: 'ok', customer: account.user });
    return answered(request.id, { user: account.user, balanceCents: await services.ledger.store.balance(account.id) });
  }

  /** open_account: the register policy, idempotent per the teller's account, registration open or not. */
  private async openAccount(request: RequestOf<'open_account'>): Promise<HandledRequest> {
    const { services } = this;
    const open = services.ledger.openAccount;
    if (!open) return refused(request.id, 'INTERNAL');
    const { store } = services.ledger;
    const tellerId = this.ctx.account.id;
    const hash = requestHash(request, store.requestHashKey);
    const job = (passwordHash: string) =>
      open.call(services.ledger, {
        op: 'open_account',
        tellerId,
        requestId: request.id,
        requestHash: hash,
        user: request.user,
        passwordHash,
        nowMs: services.clock(),
      });
    const replay = await store.findApplied(tellerId, request.id);
    let outcome: Awaited<ReturnType<typeof job>>;
    if (replay) {
      // Replayed (or a conflict) without a new bcrypt hash; '!' never matches a password.
      outcome = await job('!');
    } else {
      if (passwordProblems(request.password).length > 0) return refused(request.id, 'WEAK_PASSWORD');
      outcome = await job(await services.hasher.hash(request.password));
    }
    const audit = { detail: { user: request.user } };
    switch (outcome.outcome) {
      case 'created':
        return answered(request.id, outcome.response ?? { user: request.user }, { audit });
      case 'replayed':
        return answered(
          request.id,
          { ...outcome.response, replayed: true },
          { audit: { detail: { ...audit.detail, replayed: true } } },
        );
      case 'conflict':
        return { ...refused(request.id, 'IDEMPOTENCY_CONFLICT'), audit };
      case 'exists':
        return { ...refused(request.id, 'USER_EXISTS'), audit };
      case 'locked':
        return { ...refused(request.id, 'ACCOUNT_LOCKED'), audit };
    }
  }
}
