import type { AuditEventInput } from '../events/audit-event.js';

export interface AuditSink {
  /** Synchronous enqueue (assigns seq); never throws, never blocks the event loop on disk I/O. */
  record(event: AuditEventInput): void;
  /** Flush everything queued to both logs (used by tests and shutdown). */
  flush(): Promise<void>;
  /** Flush, write the signed close record, close files. Idempotent. */
  close(): Promise<void>;
}

/** Audit off: everything is dropped (the overhead benchmark's baseline). */
export function createNullAudit(): AuditSink {
  return {
    record: () => {},
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
