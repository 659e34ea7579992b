import { type AuditEventInput, type AuditSink, type NormalizedEventJson, recordNormalized } from '../../audit/index.js';

/**
 * The audit sink the server is wired with before its audit log exists. A start opens the log
 * (and so writes a new segment linked to the last one) only once the listeners are bound: a
 * start that fails earlier must leave the audit chain as it was. Events recorded meanwhile
 * wait here and reach the log, in order, when it is attached.
 */
export class DeferredAudit implements AuditSink {
  private target: AuditSink | null = null;
  private pending: AuditEventInput[] = [];

  attach(sink: AuditSink): void {
    this.target = sink;
    for (const event of this.pending.splice(0)) sink.record(event);
  }

  get attached(): boolean {
    return this.target !== null;
  }

  record(event: AuditEventInput): void {
    if (this.target) this.target.record(event);
    else this.pending.push(event);
  }

  recordNormalized(event: NormalizedEventJson): void {
    if (this.target) recordNormalized(this.target, event);
    else this.pending.push(JSON.parse(event) as AuditEventInput);
  }

  flush(): Promise<void> {
    return this.target ? this.target.flush() : Promise.resolve();
  }

  /** Before attach there is no log to close: a failed start writes no close record of its own. */
  close(): Promise<void> {
    this.pending = [];
    return this.target ? this.target.close() : Promise.resolve();
  }
}
