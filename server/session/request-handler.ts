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
  terminal: string | null;
}

/** A response ready to seal, plus what the audit log and metrics need to know about it. */
export interface HandledRequest {
  response: Record<string, unknown>;
  outcome: 'ok' | WireErrorCode;
  audit: Pick<AuditEventInput, 'amountCents' | 'balanceAfterCents' | 'txId' | 'detail'>;
  alerts: FraudAlertLike[];
  /** logout: answer, then close. */
  closeAfter: boolean;
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
const NOT_YET_SERVED: ReadonlySet<Request['op']> = new Set(['serve', 'release', 'open_account', 'totp_disable']);

export function okResponse(id: string, result: Record<string, unknown>): Record<string, unknown> {
  return { id, ok: true, result };
}

export function errorResponse(id: string | null, code: WireErrorCode, message?: string): Record<string, unknown> {
  return { id, ok: false, error: { code, message: message ?? WIRE_ERRORS[code] } };
}

function refused(id: string, code: WireErrorCode, message?: string): HandledRequest {
  return { response: errorResponse(id, code, message), outcome: code, audit: {}, alerts: [], closeAfter: false };
}

function answered(id: string, result: Record<string, unknown>, extra: Partial<HandledRequest> = {}): HandledRequest {
  return { response: okResponse(id, result), outcome: 'ok', audit: {}, alerts: [], closeAfter: false, ...extra };
}

/** Reads: answered straight from the store. */
export function handleRead(services: SessionServices, ctx: RequestContext, request: Request): HandledRequest {
  const { store } = services.ledger;
  switch (request.op) {
    case 'balance': {
      const balanceCents = store.balance(ctx.account.id);
      const withdrawn = store.withdrawnOn(ctx.account.id, utcDay(services.clock()));
      const account = store.getAccount(ctx.account.id);
      return answered(
        request.id,
        {
          balanceCents,
          currency: services.limits.currency,
          dailyWithdrawalRemainingCents: Math.max(0, services.limits.dailyWithdrawalLimitCents - withdrawn),
          maxAmountCents: services.limits.maxAmountCents,
          twoFactor: account?.totpEnabled ?? false,
        },
        { audit: { balanceAfterCents: balanceCents } },
      );
    }
    case 'history': {
      const page = store.history(ctx.account.id, historyLimit(request), request.before);
      if ('error' in page) return refused(request.id, page.error);
      return answered(request.id, { entries: page.entries, next: page.next });
    }
    case 'ping':
      return answered(request.id, { serverTime: new Date(services.clock()).toISOString() });
    case 'logout':
      return answered(request.id, {}, { closeAfter: true });
    case 'totp_enroll': {
      const enrolment = services.totp.enroll(ctx.account.user);
      store.setTotpPending(ctx.account.id, enrolment.sealedSecret);
      return answered(request.id, { otpauthUri: enrolment.otpauthUri, secret: enrolment.secret });
    }
    case 'serve':
    case 'release':
    case 'open_account':
    case 'totp_disable':
      return refused(request.id, 'INVALID_REQUEST', `${request.op} is not available in this session`);
    default:
      return refused(request.id, 'INTERNAL');
  }
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
  if ('refuse' in prepared) return refused(request.id, prepared.refuse);
  const outcome = await services.ledger.mutate(
    { accountId: ctx.account.id, user: ctx.account.user, nowMs: services.clock() },
    request,
    prepared.change,
    { actor: ctx.account.user, address: ctx.address, terminal: ctx.terminal, sessionId: ctx.sessionId },
  );
  // Outbox rows come back only from a ledger that committed the audit events with the mutation.
  const audited = Array.isArray((outcome as { outbox?: unknown }).outbox);
  return { ...fromOutcome(request, outcome), audited };
}

function fromOutcome(request: MutatingRequest, outcome: MutationOutcomeLike): HandledRequest {
  const amountCents = 'amountCents' in request ? request.amountCents : undefined;
  if (!outcome.ok) {
    return {
      ...refused(request.id, outcome.code, outcome.message),
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

export type Preparation = { change?: PreparedChangeLike } | { refuse: WireErrorCode };

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
      return Promise.resolve(prepareTotpConfirm(services, ctx, request));
    default:
      return Promise.resolve({});
  }
}

/** An id already applied is replayed (or refused as a conflict) by the ledger without redoing slow work. */
function alreadyApplied(services: SessionServices, ctx: RequestContext, id: string): boolean {
  return services.ledger.store.findApplied(ctx.account.id, id) !== null;
}

async function preparePasswordChange(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'change_password'>,
): Promise<Preparation> {
  if (alreadyApplied(services, ctx, request.id)) return {};
  const account = services.ledger.store.getAccount(ctx.account.id);
  if (!account) return { refuse: 'INTERNAL' };
  if (!(await services.authenticator.checkPassword(account, request.current))) return { refuse: 'AUTH_FAILED' };
  if (passwordProblems(request.new).length > 0) return { refuse: 'WEAK_PASSWORD' };
  return { change: { newPasswordHash: await services.hasher.hash(request.new) } };
}

function prepareTotpConfirm(
  services: SessionServices,
  ctx: RequestContext,
  request: RequestOf<'totp_confirm'>,
): Preparation {
  if (alreadyApplied(services, ctx, request.id)) return {};
  const account = services.ledger.store.getAccount(ctx.account.id);
  if (!account) return { refuse: 'INTERNAL' };
  if (!account.totpPendingSealed) return { refuse: 'INVALID_REQUEST' };
  const check = services.totp.verify(account.totpPendingSealed, request.code, account.totpLastStep);
  if (!check.ok) return { refuse: 'TOTP_INVALID' };
  // The sealed secret lets the ledger notice a re-enrolment that raced this confirmation.
  return { change: { totpStep: check.step, totpSecretSealed: account.totpPendingSealed } };
}
