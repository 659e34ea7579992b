import { type FileHandle, open } from 'node:fs/promises';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AuditEvent } from '../events/audit-event.js';

/**
 * pino's destination for the plaintext log: lines are only collected here, and the audit
 * writer appends them in one write per batch. (sonic-boom's own buffer measures its whole
 * pending string on every line, which costs more than the rest of an event together.)
 */
class CollectingDestination implements DestinationStream {
  private lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  take(): string {
    if (this.lines.length === 0) return '';
    const text = this.lines.join('');
    this.lines = [];
    return text;
  }
}

/**
 * The plaintext log: one pino JSON line per event. Lines are appended per batch and
 * fsynced by flush(); the audit writer flushes before every checkpoint, so a signed
 * checkpoint never covers an event the plaintext log could still lose.
 */
export class PlaintextLog {
  private readonly destination = new CollectingDestination();
  // No pid, hostname or time of pino's own: the event carries seq and ts; pino keeps its `level`.
  private readonly logger: Logger = pino({ base: null, timestamp: false, level: 'info' }, this.destination);
  private closed = false;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<PlaintextLog> {
    return new PlaintextLog(await open(path, 'a', 0o600));
  }

  /** Queue one line (in memory until the next write()). */
  log(event: AuditEvent): void {
    this.logger.info(event);
  }

  /** Append what was logged since the last call. */
  async write(): Promise<void> {
    const text = this.destination.take();
    if (text.length > 0) await this.file.appendFile(text, 'utf8');
  }

  /** Everything logged so far is written and fsynced. */
  async flush(): Promise<void> {
    await this.write();
    await this.file.datasync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}
