import type { AuditEventInput } from '../../audit/index.js';
import {
  historyLimit,
  IDEMPOTENT_OPS,
  passwordProblems,
  type Request,
  type RequestOf,
  WIRE_ERRORS,
  type WireErrorCode,
} from '../../protocol/index.js';
import { utcDay } from '../ledger/tx-id.js';
import { reauthenticate } from './reauth.js';
import type {
  FraudAlertLike,
  MutatingRequest,
  MutationOutcomeLike,
  PreparedChangeLike,
  SessionAccount,
  SessionServices,
} from './services.js';

/** Who is asking: fixed for the life of a session. */
export interface RequestContext {
  account: SessionAccount;
  sessionId: string;
  address: string;
  /** The enrolled terminal's id, from the session's certificate; null in a remote session. */
  terminal: string | null;
  /** That certificate's SHA-256 fingerprint: cash moves only while it is still the one on record. */
  terminalFingerprint?: string | null;
  /** The new hash while this session's own change_password is being applied (the sweep allows it). */
  pendingPasswordHash?: string;
  /** UNKNOWN_ACCOUNT answers this session got (§7.9). */
  unknownTargets?: number;
  /**
   * A teller session (protocol/README.md §5.2): the teller, and who is served now. In the context a
   * customer's requests run in, `account` is the customer's; in the teller's own, the teller's.
   */
  counter?: { teller: { id: number; user: string }; customer: () => string | null };
}

/** Transfers to unknown names a session may make before UNKNOWN_ACCOUNT becomes RATE_LIMITED (§7.9). */
export const MAX_UNKNOWN_TARGETS_PER_SESSION = 5;

/** A response ready to seal, plus what the audit log and metrics need to know about it. */
export interface HandledRequest {
  response: Record<string, unknown>;
  outcome: 'ok' | WireErrorCode;
  audit: Pick<AuditEventInput, 'amountCents' | 'balanceAfterCents' | 'txId' | 'detail'>;
  alerts: FraudAlertLike[];
  /** logout: answer, then close. */
  closeAfter: boolean;
  /** Answer, then notice SESSION_EXPIRED and close (a re-authentication reached the lockout threshold). */
  expireAfter?: string;
  /** The audit events are already committed with the mutation (the outbox): do not record them again. */
  audited?: boolean;
}

/** The idempotent ops are exactly the ones that change state. */
const MUTATING_OPS: ReadonlySet<Request['op']> = new Set(IDEMPOTENT_OPS);

/** Ops that change state go through the serialised writer; the rest read directly. */
export function isMutation(request: Request): request is MutatingRequest {
  return MUTATING_OPS.has(request.op) && !NOT_YET_SERVED.has(request.op);
}

/**
 * Revision-2 ops this server does not serve yet. Teller ops from a customer are
 * INVALID_REQUEST by §5.2, which is what every session here is until tellers exist.
 */
const NOT_YET_SERVED: ReadonlySet<Request['op']> = new Set(['serve', 'release', 'open_account']);

export function okResponse(id: string, result: Record<string, unknown>): Record<string, unknown> {
  return { id, ok: true, result };
}

export function errorResponse(
  id: string | null,
  code: WireErrorCode,
  message?: string,
  details: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, ok: false, error: { code, message: message ?? WIRE_ERRORS[code], ...details } };
}

export function refused(
  id: string,
  code: WireErrorCode,
  message?: string,
  details?: Record<string, unknown>,
): HandledRequest {
  return {
    response: errorResponse(id, code, message, details),
    outcome: code,
    audit: {},
    alerts: [],
    closeAfter: false,
  };
}

/** Reads need an account that is still active and not locked by an operator (§5.1). */
async function accountUsable(services: SessionServices, ctx: RequestContext): Promise<boolean> {
  const account = await services.ledger.store.getAccount(ctx.account.id);
  return account?.status === 'active' && !account.locked;
}

/** Ops a session may still send on a locked or closed account. */
const ALWAYS_ALLOWED: ReadonlySet<Request['op']> = new Set(['ping', 'logout']);

export function answered(
  id: string,
  result: Record<string, unknown>,
  extra: Partial<HandledRequest> = {},
): HandledRequest {
  return { response: okResponse(id, result), outcome: 'ok', audit: {}, alerts: [], closeAfter: false, ...extra };
}

/** Reads: answered straight from the store (totp_enroll re-authenticates first). */
export async function handleRead(
  services: SessionServices,
  ctx: RequestContext,
  request: Request,
): Promise<HandledRequest> {
  const { store } = services.ledger;
  // One store read answers a balance request, its usability check included (was four).
  if (request.op === 'balance') return answerBalance(services, ctx, request.id);
  if (!ALWAYS_ALLOWED.has(request.op) && !(await accountUsable(services, ctx)))
    return refused(request.id, 'ACCOUNT_LOCKED');
  switch (request.op) {
    case 'history': {
      const page = await store.history(ctx.account.id, historyLimit(request), request.before);
      if ('error' in page) return refused(request.id, page.error);
      return answered(request.id, { entries: page.entries, next: page.next });
    }
    case 'ping':
      return answered(request.id, { serverTime: new Date(services.clock()).toISOString() });
    case 'logout':
      return answered(request.id, {}, { closeAfter: true });
    case 'totp_enroll':
      return enrollTotp(services, ctx, request);
    case 'serve':
    case 'release':
    case 'open_account':
      return refused(request.id, 'INVALID_REQUEST', `${request.op} is not available in this session`);
    default:
      return refused(request.id, 'INTERNAL');
  }
}

async function answerBalance(services: SessionServices, ctx: RequestContext, id: string): Promise<HandledRequest> {
  const view = await services.ledger.store.balanceView(ctx.account.id, utcDay(services.clock()));
  if (view?.status !== 'active' || view.locked) return refused(id, 'ACCOUNT_LOCKED');
  const { limits } = services;
  const result = {
    balanceCents: view.balanceCents,
    currency: limits.currency,
    dailyWithdrawalRemainingCents: Math.max(0, limits.dailyWithdrawalLimitCents - view.withdrawnCents),
    maxAmountCents: limits.maxAmountCents,
    twoFactor: view.totpEnabled,
  };
  return answered(id, result, { audit: { balanceAfterCents: view.balanceCents } });
}

/** Mutations, step one: slow or keyed preparation (bcrypt, sealing, TOTP checks) outside the writer. */
export function prepareMutation(
  services: SessionServices,
  ctx: RequestContext,
  request: MutatingRequest,
): Promise<Preparation> {
  return prepare(services, ctx, request);
}

/** Mutations, step two: hand the request to the serialised writer now; resolves after its batch commits. */
export async function submitMutation(
  services: SessionServices,
  ctx: RequestContext,
  request: MutatingRequest,
  prepared: Preparation,
): Promise<HandledRequest> {
  if ('refuse' in prepared) {
    const answer = refused(request.id, prepared.refuse, undefined, prepared.details);
    return prepared.endSession ? { ...answer, expireAfter: 'too many failed password checks' } : answer;
  }
  const newHash = request.op === 'change_password' ? prepared.change?.newPasswordHash : undefined;
  if (newHash !== undefined) ctx.pendingPasswordHash = newHash;
  let outcome: MutationOutcomeLike;
  try {
    const teller = ctx.counter?.teller;
    const atCounter = teller !== undefined && teller.id !== ctx.account.id;
    outcome = await services.ledger.mutate(
      {
        accountId: ctx.account.id,
        user: ctx.account.user,
        nowMs: services.clock(),
        terminal:
          ctx.terminal && ctx.terminalFingerprint ? { id: ctx.terminal, fingerprint: ctx.terminalFingerprint } : null,
        ...(atCounter ? { tellerId: teller.id } : {}),
      },
      request,
      prepared.change,
      {
        actor: teller?.user ?? ctx.account.user,
        address: ctx.address,
        terminal: ctx.terminal,
        sessionId: ctx.sessionId,
        ...(ctx.counter ? { customer: ctx.counter.customer() } : {}),
      },
    );
  } finally {
    if (newHash !== undefined) delete ctx.pendingPasswordHash;
  }
  // This session's own password change must not end it; the others end (§5.1).
  if (newHash !== undefined && outcome.ok && !outcome.replayed) ctx.account = { ...ctx.account, passwordHash: newHash };
  // Outbox rows come back only from a ledger that committed the audit events with the mutation.
  const audited = Array.isArray((outcome as { outbox?: unknown }).outbox);
  return { ...fromOutcome(ctx, request, outcome), audited };
}

function fromOutcome(ctx: RequestContext, request: MutatingRequest, outcome: MutationOutcomeLike): HandledRequest {
  const amountCents = 'amountCents' in request ? request.amountCents : undefined;
  if (!outcome.ok) {
    let code = outcome.code;
    if (code === 'UNKNOWN_ACCOUNT' && request.op === 'transfer') {
      ctx.unknownTargets = (ctx.unknownTargets ?? 0) + 1;
      // Probing names with transfers is bounded per session (§7.9).
      if (ctx.unknownTargets > MAX_UNKNOWN_TARGETS_PER_SESSION) code = 'RATE_LIMITED';
    }
    return {
      ...refused(request.id, code, code === outcome.code ? outcome.message : undefined, outcome.details),
      audit: amountCents === undefined ? {} : { amountCents },
      alerts: outcome.alerts,
    };
  }
  const result = outcome.replayed ? { ...outcome.result, replayed: true } : outcome.result;
  const balance = result.balanceCents;
  const txId = result.txId;
  return answered(request.id, result, {
    alerts: outcome.alerts,
    audit: {
      ...(amountCents === undefined ? {} : { amountCents }),
      ...(typeof balance === 'number' ? { balanceAfterCents: balance } : {}),
      ...(typeof txId === 'string' ? { txId } : {}),
      ...(outcome.replayed ? { detail: { replayed: true } } : {}),
    },
  });
}

export type Preparation =
  | { change?: PreparedChangeLike }
  | { refuse: WireErrorCode; endSession?: boolean; details?: Record<string, unknown> };

function prepare(services: SessionServices, ctx: RequestContext, request: MutatingRequest): Promise<Preparation> {
  switch (request.op) {
    case 'change_password':
      return preparePasswordChange(services, ctx, request);
    case 'update_contact': {
      const change: PreparedChangeLike = {};
      if (request.email !== undefined) change.emailSealed = services.pii.seal(request.email);
      if (request.phone !== undefined) change.phoneSealed = services.pii.seal(request.phone);
      return Promise.resolve({ change });
    }
    case 'totp_confirm':
      return prepareTotpConfirm(services, ctx, request);
    case 'totp_disable':
      return prepareTotpDisable(services, ctx, request);
    default:
      return Promise.resolve({});
  }
}

/** An id already applied is replayed (or refused as a conflict) by the ledger without redoing slow work. */
async function alreadyApplied(services: SessionServices, ctx: RequestContext, id: string): Promise<boolean> {
  return (await services.ledger.store.findApplied(ctx.account.id, id)) !== null;
}

async function preparePasswordChange(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'change_password'>,
): Promise<Preparation> {
  if (await alreadyApplied(services, ctx, request.id)) return {};
  // Checked before the current password: a weak new one costs no guess.
  if (passwordProblems(request.new).length > 0) return { refuse: 'WEAK_PASSWORD' };
  const check = await reauthenticate(services, ctx, { password: request.current, totp: undefined });
  if (!check.ok && check.code !== 'TOTP_REQUIRED') return refusalOf(check);
  return { change: { newPasswordHash: await services.hasher.hash(request.new) } };
}

async function prepareTotpDisable(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'totp_disable'>,
): Promise<Preparation> {
  if (await alreadyApplied(services, ctx, request.id)) return {};
  const check = await reauthenticate(services, ctx, { password: request.password, totp: request.totp });
  if (!check.ok) return refusalOf(check);
  return { change: { totpDisableChecked: true, ...(check.totpStep === null ? {} : { totpStep: check.totpStep }) } };
}

function refusalOf(check: Extract<Awaited<ReturnType<typeof reauthenticate>>, { ok: false }>): Preparation {
  return {
    refuse: check.code,
    ...(check.endSession ? { endSession: true } : {}),
    ...(check.reason === undefined ? {} : { details: { reason: check.reason } }),
  };
}

/** totp_enroll: password (and current code when two-factor is on), then a new pending secret. */
async function enrollTotp(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'totp_enroll'>,
): Promise<HandledRequest> {
  // The parser requires `password`; the guard keeps this safe should that ever change.
  if (request.password === undefined) return refused(request.id, 'INVALID_REQUEST');
  const check = await reauthenticate(services, ctx, { password: request.password, totp: request.totp });
  if (!check.ok) {
    const answer = refused(
      request.id,
      check.code,
      undefined,
      check.reason === undefined ? undefined : { reason: check.reason },
    );
    return check.endSession ? { ...answer, expireAfter: 'too many failed password checks' } : answer;
  }
  const enrolment = services.totp.enroll(ctx.account.user);
  if (!(await services.ledger.setTotpPending(ctx.account.id, enrolment.sealedSecret))) {
    return refused(request.id, 'ACCOUNT_LOCKED');
  }
  return answered(request.id, { otpauthUri: enrolment.otpauthUri, secret: enrolment.secret });
}

async function prepareTotpConfirm(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'totp_confirm'>,
): Promise<Preparation> {
  if (await alreadyApplied(services, ctx, request.id)) return {};
  const account = await services.ledger.store.getAccount(ctx.account.id);
  if (!account) return { refuse: 'INTERNAL' };
  if (!account.totpPendingSealed) return { refuse: 'INVALID_REQUEST' };
  const check = services.totp.verify(account.totpPendingSealed, request.code, account.totpLastStep);
  if (!check.ok) return { refuse: 'TOTP_INVALID' };
  // The sealed secret lets the ledger notice a re-enrolment that raced this confirmation.
  return { change: { totpStep: check.step, totpSecretSealed: account.totpPendingSealed } };
}
