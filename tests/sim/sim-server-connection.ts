import { ProtocolError, parseRequest, type Request, type WireErrorCode } from '../../protocol/index.js';
import {
  errorResponse,
  type HandledRequest,
  handleRead,
  isMutation,
  prepareMutation,
  type RequestContext,
  submitMutation,
} from '../../server/session/request-handler.js';
import type { SessionServices } from '../../server/session/services.js';
import type { SimLink } from './sim-network.js';
import type { World } from './world.js';

/** One session's request pipeline, in server/session/request-pipeline.ts's order. */
export class ServerConnection {
  private dispatchChain: Promise<void> = Promise.resolve();
  private lastCompletion: Promise<unknown> = Promise.resolve();
  private sendChain: Promise<void> = Promise.resolve();
  private dead = false;

  constructor(
    private readonly world: World,
    private readonly services: SessionServices,
    private readonly ctx: RequestContext,
    private readonly link: SimLink | null,
    private readonly epoch: number,
    private readonly forget: () => void,
  ) {}

  onRequest(json: string): void {
    if (this.dead) return;
    const parsed = parseRequest(json, { maxAmountCents: this.services.limits.maxAmountCents });
    if (!parsed.ok) {
      const code = parsed.error.error.code as WireErrorCode;
      const handled: HandledRequest = {
        response: errorResponse(parsed.error.id, code, parsed.error.error.message),
        outcome: code,
        audit: {},
        alerts: [],
        closeAfter: false,
      };
      this.respond(Promise.resolve(handled), null);
      return;
    }
    this.respond(this.dispatch(parsed.value), parsed.value);
  }

  /** The socket closed (a cut): nothing more is read; answers in progress go nowhere. */
  onClosed(): void {
    this.dead = true;
    this.forget();
  }

  /** The client closed its end: what it sent before still gets processed. */
  onClientFinished(): void {}

  kill(): void {
    this.dead = true;
  }

  private dispatch(request: Request): Promise<HandledRequest> {
    const { services, ctx } = this;
    const earlier = this.lastCompletion;
    let result: Promise<HandledRequest>;
    if (isMutation(request)) {
      const handed = this.dispatchChain.then(async () => {
        const prepared = await prepareMutation(services, ctx, request);
        return { outcome: submitMutation(services, ctx, request, prepared) };
      });
      this.dispatchChain = handed.then(
        () => undefined,
        () => undefined,
      );
      result = handed.then((h) => h.outcome);
    } else {
      const done = Promise.all([this.dispatchChain, earlier]).then(() => handleRead(services, ctx, request));
      this.dispatchChain = done.then(
        () => undefined,
        () => undefined,
      );
      result = done;
    }
    this.lastCompletion = result.catch(() => undefined);
    return result;
  }

  private respond(result: Promise<HandledRequest>, request: Request | null): void {
    const safe = result.catch((err: unknown): HandledRequest => {
      const code: WireErrorCode =
        err instanceof ProtocolError && err.code === 'SERVER_BUSY' ? 'SERVER_BUSY' : 'INTERNAL';
      return {
        response: errorResponse(request?.id ?? null, code),
        outcome: code,
        audit: {},
        alerts: [],
        closeAfter: false,
      };
    });
    this.sendChain = this.sendChain.then(async () => {
      const handled = await safe;
      if (!this.world.server.isCurrent(this.epoch)) return;
      if (handled.outcome === 'ACCOUNT_LOCKED') this.world.stats.lockRefusals++;
      if (handled.outcome === 'TERMINAL_REQUIRED') this.world.stats.terminalRequired++;
      if (handled.outcome === 'TERMINAL_OUT_OF_CASH') this.world.stats.outOfCash++;
      // request-pipeline.ts's finish: a mutation's records were committed with it (the outbox);
      // any other request's record is queued, then the answer leaves.
      if (handled.audited) {
        if (!this.dead) this.link?.sendResponse(handled.response);
        return;
      }
      this.services.audit.record({
        kind: 'request',
        actor: this.ctx.account.user,
        address: this.ctx.address,
        sessionId: this.ctx.sessionId,
        op: request?.op ?? 'invalid',
        requestId: request?.id ?? null,
        outcome: handled.outcome === 'ok' ? 'ok' : 'error',
        code: handled.outcome === 'ok' ? null : handled.outcome,
        ...handled.audit,
      });
      for (const alert of handled.alerts) {
        this.services.audit.record({
          kind: 'fraud_alert',
          actor: alert.user,
          op: alert.op,
          amountCents: alert.amountCents,
        });
      }
      if (!this.dead) this.link?.sendResponse(handled.response);
    });
  }
}
