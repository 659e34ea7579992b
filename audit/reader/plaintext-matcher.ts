import { basename } from 'node:path';
import { type AuditEvent, EVENT_KEYS } from '../events/audit-event.js';
import type { TextLine } from './line-reader.js';
import type { SegmentSummary, VerifyProblem } from './verify-types.js';

/** pino adds its own level to every line; nothing else may differ. */
const PINO_KEYS: ReadonlySet<string> = new Set(['level']);

type PlainLine = { lineNo: number; seq: number; event: Record<string, unknown> };

interface Pending {
  seq: number;
  segment: string;
  line: number;
}

/**
 * Walks the plaintext log alongside the decrypted records (both in seq order) and names
 * the first place where the two logs disagree. Differences a crash explains are
 * tolerated: events after the last checkpoint of a segment without a close record, and
 * plaintext-only events in the seq gap a crash leaves before the next segment.
 */
export class PlaintextMatcher {
  private peeked: PlainLine | null | undefined;
  private lastPlainSeq = 0;
  private rangeStart: number | null = null;
  private gap: { from: number; to: number } | null = null;
  private pending: Pending[] = [];
  /** Differences explained by a crash. */
  tolerated = 0;
  /**
   * Lines that are not events, e.g. a line torn by a crash. They are skipped: an event
   * they replaced is then missing from audit.log, which is what gets reported.
   */
  readonly damagedLines: number[] = [];

  constructor(
    private readonly path: string,
    private readonly lines: AsyncIterator<TextLine>,
  ) {}

  /** A new segment starts; `previous` is the summary of the one before it in this run. */
  beginSegment(firstSeq: number, previous: SegmentSummary | null): void {
    this.rangeStart ??= firstSeq;
    this.gap = previous && !previous.closed ? { from: previous.lastSeq + 1, to: firstSeq - 1 } : null;
  }

  /** One decrypted record, in seq order. */
  async match(event: AuditEvent, segment: string, line: number): Promise<VerifyProblem | null> {
    for (;;) {
      const plain = await this.peek();
      if (!plain || plain.seq > event.seq) {
        this.pending.push({ seq: event.seq, segment, line });
        return null;
      }
      const bad = this.checkOrder(plain);
      if (bad) return bad;
      this.take(plain);
      if (plain.seq < event.seq) {
        if (plain.seq < (this.rangeStart ?? 0) || this.inGap(plain.seq)) continue;
        return this.fault(
          plain.lineNo,
          plain.seq,
          `audit.log line ${plain.lineNo} has seq ${plain.seq}, which no segment holds: a line was added`,
        );
      }
      const difference = describeDifference(plain.event, event);
      return difference
        ? this.fault(
            plain.lineNo,
            event.seq,
            `audit.log line ${plain.lineNo} (seq ${event.seq}) differs from the encrypted record: ${difference}`,
          )
        : null;
    }
  }

  /** The segment is done: plaintext lines missing for its records are a problem unless a crash explains them. */
  endSegment(summary: SegmentSummary): VerifyProblem | null {
    const pending = this.pending;
    this.pending = [];
    for (const miss of pending) {
      if (!summary.closed && miss.seq > summary.lastSignedSeq) {
        this.tolerated++;
        continue;
      }
      return {
        reason: 'plaintext_differs',
        file: miss.segment,
        line: miss.line,
        seq: miss.seq,
        message: `event seq ${miss.seq} (${basename(miss.segment)} line ${miss.line}) is missing from audit.log: a plaintext line was removed`,
      };
    }
    return null;
  }

  /**
   * After the last segment: plaintext events beyond it are a problem when the segments are
   * the whole log and the last one closed cleanly; otherwise they are reported as a warning.
   */
  async finish(
    last: SegmentSummary | null,
    complete: boolean,
  ): Promise<{ problem: VerifyProblem | null; warning: string | null }> {
    let extra = 0;
    let first: { lineNo: number; seq: number } | null = null;
    for (;;) {
      const plain = await this.peek();
      if (!plain) break;
      const bad = this.checkOrder(plain);
      if (bad) return { problem: bad, warning: null };
      this.take(plain);
      if (last && plain.seq > last.lastSeq) {
        extra++;
        first ??= plain;
      }
    }
    if (!first || !last) return { problem: null, warning: null };
    if (!last.closed) {
      this.tolerated += extra;
      return { problem: null, warning: null };
    }
    if (complete) {
      return {
        problem: this.fault(
          first.lineNo,
          first.seq,
          `audit.log line ${first.lineNo} has seq ${first.seq}, after the last segment closed: ${extra} event(s) no segment holds`,
        ),
        warning: null,
      };
    }
    return {
      problem: null,
      warning: `audit.log has ${extra} event(s) after the last segment given (from a later segment?)`,
    };
  }

  private checkOrder(plain: PlainLine): VerifyProblem | null {
    if (plain.seq <= this.lastPlainSeq) {
      return {
        reason: 'plaintext_differs',
        file: this.path,
        line: plain.lineNo,
        seq: plain.seq,
        message: `audit.log line ${plain.lineNo} has seq ${plain.seq} after seq ${this.lastPlainSeq}: lines were reordered or duplicated`,
      };
    }
    return null;
  }

  private inGap(seq: number): boolean {
    if (this.gap && seq >= this.gap.from && seq <= this.gap.to) {
      this.tolerated++;
      return true;
    }
    return false;
  }

  private take(plain: { seq: number }): void {
    this.lastPlainSeq = plain.seq;
    this.peeked = undefined;
  }

  private async peek(): Promise<PlainLine | null> {
    if (this.peeked !== undefined) return this.peeked;
    for (;;) {
      const next = await this.lines.next();
      if (next.done) {
        this.peeked = null;
        return null;
      }
      const { text, lineNo } = next.value;
      if (text.trim() === '') continue;
      const parsed = parsePlainLine(text, lineNo);
      if (!parsed) {
        this.damagedLines.push(lineNo);
        continue;
      }
      this.peeked = parsed;
      return parsed;
    }
  }

  private fault(line: number | null, seq: number | null, message: string): VerifyProblem {
    return { reason: 'plaintext_differs', file: this.path, line, seq, message };
  }
}

function parsePlainLine(text: string, lineNo: number): PlainLine | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const event = value as Record<string, unknown>;
      if (typeof event.seq === 'number' && Number.isSafeInteger(event.seq)) return { lineNo, seq: event.seq, event };
    }
  } catch {
    // not JSON: damaged
  }
  return null;
}

/** The first field where the plaintext line and the decrypted event differ, or null. */
function describeDifference(plain: Record<string, unknown>, event: AuditEvent): string | null {
  const sealed = event as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(sealed), ...Object.keys(plain).filter((k) => !PINO_KEYS.has(k))]);
  for (const key of keys) {
    if (canonical(plain[key]) === canonical(sealed[key])) continue;
    if (!EVENT_KEYS.has(key)) return `audit.log has an extra field "${key}"`;
    return `${key} is ${clip(canonical(plain[key]))} in audit.log but ${clip(canonical(sealed[key]))} in the encrypted log`;
  }
  return null;
}

/** JSON with sorted keys: the two writers need not order nested keys alike. */
function canonical(value: unknown): string {
  if (value === undefined) return 'absent';
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      Object.defineProperty(out, key, {
        value: sortKeys((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
