import type { AuditEventInput } from '../../audit/index.js';
import {
  type AmountFault,
  type ErrorResponseOptions,
  ProtocolError,
  type Request,
  type RequestFault,
  type SessionAnswer,
  type WireErrorCode,
} from '../../protocol/index.js';
import type { TellerDesk } from '../tellers/teller-desk.js';
import {
  errorResponse,
  type HandledRequest,
  handleRead,
  isMutation,
  prepareMutation,
  type RequestContext,
  submitMutation,
} from './request-handler.js';
import type { SessionServices } from './services.js';

export interface PipelineHost {
  services: SessionServices;
  ctx(): RequestContext;
  /** A teller session's desk (protocol/README.md §5.2); null for a customer's session. */
  desk(): TellerDesk | null;
  audit(event: AuditEventInput): void;
  /** A request's answer, in request order, once its audit event and metrics are recorded. */
  answer(ticket: number, answer: SessionAnswer, handled: HandledRequest): void;
}

/**
 * One session's requests through the business rules: reads wait for the requests before them,
 * mutations are handed to the serialised writer in order, and each request's metrics and audit
 * event are recorded in request order, just before its answer is handed back.
 */
export class RequestPipeline {
  /** Serialises dispatch so a session's requests apply in the order they came. */
  private dispatchChain: Promise<void> = Promise.resolve();
  /** Resolves when everything dispatched so far has completed. */
  private lastCompletion: Promise<unknown> = Promise.resolve();
  /** Serialises the answers so they leave in request order. */
  private sendChain: Promise<void> = Promise.resolve();

  constructor(private readonly host: PipelineHost) {}

  dispatch(ticket: number, request: Request): void {
    const started = performance.now();
    const safe = this.run(request).catch((err: unknown): HandledRequest => {
      const code: WireErrorCode =
        err instanceof ProtocolError && err.code === 'SERVER_BUSY' ? 'SERVER_BUSY' : 'INTERNAL';
      if (code === 'INTERNAL') this.host.services.logger.error({ err, op: request.op }, 'request failed');
      return { response: errorResponse(request.id, code), outcome: code, audit: {}, alerts: [], closeAfter: false };
    });
    this.sendChain = this.sendChain.then(async () => {
      const handled = await safe;
      this.finish(handled, request.op, request.id, started);
      this.host.answer(ticket, answerOf(handled.response), handled);
    });
  }

  /** A request the protocol refused (already answered by the engine): recorded in its turn. */
  refused(fault: RequestFault, amount: AmountFault | undefined): void {
    const started = performance.now();
    const code = fault.error.code as WireErrorCode;
    const message = amount?.message ?? fault.error.message;
    const handled: HandledRequest = {
      response: {},
      outcome: code,
      audit: {
        ...(amount?.amountCents != null ? { amountCents: amount.amountCents } : {}),
        detail: { reason: message },
      },
      alerts: [],
      closeAfter: false,
    };
    this.sendChain = this.sendChain.then(() => this.finish(handled, amount?.op ?? 'invalid', fault.id, started));
  }

  private run(request: Request): Promise<HandledRequest> {
    const { services } = this.host;
    const ctx = this.host.ctx();
    const earlier = this.lastCompletion;
    const desk = this.host.desk();
    let result: Promise<HandledRequest>;
    if (desk) {
      // Who a teller's request is for depends on the serve before it: one request at a time.
      result = Promise.all([this.dispatchChain, earlier]).then(() => desk.handle(request));
      this.dispatchChain = settled(result);
    } else if (isMutation(request)) {
      // The writer is FIFO: handing mutations over in order keeps them in order, while
      // slow preparation (bcrypt for change_password) holds back the ones behind it.
      const handed = this.dispatchChain.then(async () => {
        const prepared = await prepareMutation(services, ctx, request);
        return { outcome: submitMutation(services, ctx, request, prepared) };
      });
      this.dispatchChain = settled(handed);
      result = handed.then((h) => h.outcome);
    } else {
      result = Promise.all([this.dispatchChain, earlier]).then(() => handleRead(services, ctx, request));
      this.dispatchChain = settled(result);
    }
    this.lastCompletion = result.catch(() => undefined);
    return result;
  }

  private finish(handled: HandledRequest, op: string, requestId: string | null, started: number): void {
    const { metrics } = this.host.services;
    metrics.observeRequest(op, handled.outcome, (performance.now() - started) / 1000);
    for (const alert of handled.alerts) metrics.fraudAlerts.inc({ rule: alert.rule });
    // A mutation's request and fraud-alert events were committed with it (the audit outbox).
    if (handled.audited) return;
    this.host.audit({
      kind: 'request',
      actor: this.host.ctx().account.user,
      op,
      requestId,
      outcome: handled.outcome === 'ok' ? 'ok' : 'error',
      code: handled.outcome === 'ok' ? null : handled.outcome,
      ...handled.audit,
    });
    for (const alert of handled.alerts) {
      this.host.audit({
        kind: 'fraud_alert',
        actor: alert.user,
        op: alert.op,
        amountCents: alert.amountCents,
        requestId,
        detail: { rule: alert.rule },
      });
    }
  }
}

function settled(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => undefined,
    () => undefined,
  );
}

/** The business rules' response as the engine's answer (the engine adds the id and encodes it). */
export function answerOf(response: Record<string, unknown>): SessionAnswer {
  if (response.ok === true) return { ok: true, result: response.result as Record<string, unknown> };
  const { code, ...details } = response.error as { code: WireErrorCode } & ErrorResponseOptions;
  return { ok: false, code, ...details };
}
