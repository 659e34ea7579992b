import { AnswerQueue, readRequest } from '../../protocol/server-session-answers.js';
import type { RequestContext } from '../../server/session/request-handler.js';
import { RequestPipeline } from '../../server/session/request-pipeline.js';
import type { SessionServices } from '../../server/session/services.js';
import type { SimLink } from './sim-network.js';
import type { World } from './world.js';

/**
 * One session's requests through the REAL request pipeline (server/session/request-pipeline.ts:
 * dispatch order, the writer hand-over, metrics and audit in request order) and the real
 * in-order answer queue of the server session engine; only the socket is simulated.
 */
export class ServerConnection {
  private readonly pipeline: RequestPipeline;
  private readonly answers = new AnswerQueue();
  private dead = false;

  constructor(
    private readonly world: World,
    private readonly services: SessionServices,
    ctx: RequestContext,
    private readonly link: SimLink | null,
    private readonly epoch: number,
    private readonly forget: () => void,
  ) {
    this.pipeline = new RequestPipeline({
      services,
      ctx: () => ctx,
      desk: () => null,
      // Like connection.ts's audit(): the session's address and id go with every event. A server
      // that crashed records nothing more.
      audit: (event) => {
        if (!this.current) return;
        services.audit.record({ address: ctx.address, sessionId: ctx.sessionId, ...event });
      },
      answer: (ticket, answer, handled) => {
        if (!this.current) return;
        if (handled.outcome === 'ACCOUNT_LOCKED') world.stats.lockRefusals++;
        if (handled.outcome === 'TERMINAL_REQUIRED') world.stats.terminalRequired++;
        if (handled.outcome === 'TERMINAL_OUT_OF_CASH') world.stats.outOfCash++;
        this.answers.answer(ticket, answer);
        this.sendAnswers();
      },
    });
  }

  onRequest(json: string): void {
    if (this.dead) return;
    const read = readRequest(new TextEncoder().encode(json), this.services.limits.maxAmountCents);
    if (read.ok) {
      this.pipeline.dispatch(this.answers.take(read.request), read.request);
      return;
    }
    // The engine answers a refused request at once, released in its turn; the pipeline records it.
    this.answers.takeAnswered(read.answer);
    this.pipeline.refused(read.fault, read.amount);
    this.sendAnswers();
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

  private get current(): boolean {
    return this.world.server.isCurrent(this.epoch);
  }

  private sendAnswers(): void {
    for (let next = this.answers.release(); next; next = this.answers.release()) {
      if (!this.dead) this.link?.sendResponse(next.answer);
    }
  }
}
