import { type AuditEvent, normalizeAuditEvent } from '../events/audit-event.js';
import type { AuditSink } from './audit-sink.js';

/**
 * Events kept in memory for tests, normalized and redacted exactly as the real log
 * writes them (seq from 1).
 */
export function createMemoryAudit(now: () => Date = () => new Date()): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  let closed = false;
  return {
    events,
    record(input) {
      if (closed) return;
      events.push(normalizeAuditEvent(input, events.length + 1, now().toISOString()));
    },
    flush: () => Promise.resolve(),
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}
