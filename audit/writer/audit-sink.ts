import type { AuditEventInput, NormalizedEventJson } from '../events/audit-event.js';

export interface AuditSink {
  /** Synchronous enqueue (assigns seq); never throws, never blocks the event loop on disk I/O. */
  record(event: AuditEventInput): void;
  /**
   * record() for an event already normalized (and so redacted) as JSON text: the same line in both
   * logs as record() of the event it came from, without parsing and normalizing it again. Optional:
   * use {@link recordNormalized}, which falls back to record().
   */
  recordNormalized?(event: NormalizedEventJson): void;
  /** Flush everything queued to both logs (used by tests and shutdown). */
  flush(): Promise<void>;
  /** Flush, write the signed close record, close files. Idempotent. */
  close(): Promise<void>;
}

/** Record a normalized event on any sink: as text where the sink takes it, else parsed (normalizing it again changes nothing). */
export function recordNormalized(sink: AuditSink, event: NormalizedEventJson): void {
  if (sink.recordNormalized) sink.recordNormalized(event);
  else sink.record(JSON.parse(event) as AuditEventInput);
}

/** Audit off: everything is dropped (the overhead benchmark's baseline). */
export function createNullAudit(): AuditSink {
  return {
    record: () => {},
    recordNormalized: () => {},
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
