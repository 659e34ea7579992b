/**
 * Answers leave in the order the requests came (protocol/README.md §5), whatever order the
 * business rules finish them in: each opened request takes a ticket, and an answer is released
 * only once every ticket before it has been answered.
 */
import { type AmountFault, describeAmountFault } from './amount-fault.js';
import type { WireErrorCode } from './errors.js';
import type { Request } from './message-types.js';
import { parseRequest, type RequestFault } from './request-messages.js';
import { encodeErrorResponse } from './server-messages.js';
import type { SessionAnswer } from './server-session-types.js';

export type RequestRead =
  | { ok: true; request: Request }
  | { ok: false; answer: string; fault: RequestFault; amount?: AmountFault };

/**
 * A sealed frame's plaintext as a request, or the answer that refuses it (§6: INVALID_REQUEST or
 * INVALID_AMOUNT, naming the per-request maximum when the amount is above it).
 */
export function readRequest(plaintext: Uint8Array, maxAmountCents: number): RequestRead {
  const parsed = parseRequest(plaintext, { maxAmountCents });
  if (parsed.ok) return { ok: true, request: parsed.value };
  const { id, error } = parsed.error;
  const amount = error.code === 'INVALID_AMOUNT' ? describeAmountFault(plaintext, maxAmountCents) : null;
  const answer = encodeErrorResponse(id, error.code as WireErrorCode, {
    message: amount?.message ?? error.message,
    ...(amount?.maxAmountCents == null ? {} : { maxAmountCents: amount.maxAmountCents }),
  });
  return { ok: false, answer, fault: parsed.error, ...(amount ? { amount } : {}) };
}

interface Slot {
  request: Request | null;
  /** The response text, once known. */
  answer: string | null;
  /** logout answered ok: the server closes once it is sent (§5). */
  closeAfter: boolean;
}

export class AnswerQueue {
  /**
   * Ticket `nextToSend + i` at index i (at most 32 in flight): an array, not a Map keyed by
   * ever-growing tickets, so a request costs a push and a shift rather than a hash insert and delete.
   */
  private readonly slots: Slot[] = [];
  private nextTicket = 0;
  private nextToSend = 0;

  /** Tickets taken whose answers have not been released yet. */
  get pending(): number {
    return this.nextTicket - this.nextToSend;
  }

  /** A request to dispatch: its answer comes later through `answer`. */
  take(request: Request): number {
    this.slots.push({ request, answer: null, closeAfter: false });
    return this.nextTicket++;
  }

  /** A request refused while it was parsed: answered already, released in its turn. */
  takeAnswered(answer: string): number {
    this.slots.push({ request: null, answer, closeAfter: false });
    return this.nextTicket++;
  }

  /** A dispatched request's answer, with its id; false when the ticket waits for none. */
  answer(ticket: number, answer: SessionAnswer): boolean {
    const slot = ticket >= this.nextToSend ? this.slots[ticket - this.nextToSend] : undefined;
    const request = slot?.answer === null ? slot.request : null;
    if (!slot || !request) return false;
    slot.answer = answer.ok
      ? JSON.stringify({ id: request.id, ok: true, result: answer.result })
      : encodeErrorResponse(request.id, answer.code, answer);
    slot.closeAfter = request.op === 'logout' && answer.ok;
    return true;
  }

  /** The next answer in line, if it is known, taken off the queue. */
  release(): { answer: string; closeAfter: boolean } | null {
    const slot = this.slots[0];
    if (!slot || slot.answer === null) return null;
    this.slots.shift();
    this.nextToSend += 1;
    return slot as { answer: string; closeAfter: boolean };
  }
}
