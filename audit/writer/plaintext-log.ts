import { type FileHandle, open } from 'node:fs/promises';
import { appendSync } from './segment-file.js';

/**
 * What pino's `logger.info(event)` (no base, no time) writes before the event's own fields: a
 * plaintext line is `{"level":30,` + the event's JSON without its opening brace. Building it here
 * from the JSON the segment seals (rather than letting pino serialise the event a second time)
 * gives the same bytes for half the work; the readers still accept pino's `level` and nothing else.
 */
const LINE_PREFIX = '{"level":30,';

/**
 * The plaintext log: one JSON line per event. Lines are appended per batch and fsynced by
 * flush(); the audit writer flushes before every checkpoint, so a signed checkpoint never
 * covers an event the plaintext log could still lose.
 */
export class PlaintextLog {
  private lines: string[] = [];
  private closed = false;

  private constructor(private readonly file: FileHandle) {}

  static async open(path: string): Promise<PlaintextLog> {
    return new PlaintextLog(await open(path, 'a', 0o600));
  }

  /** Queue one event's line (in memory until the next write()); `json` is `JSON.stringify(event)`. */
  log(json: string): void {
    this.lines.push(`${LINE_PREFIX}${json.slice(1)}\n`);
  }

  /** Append what was logged since the last call. */
  async write(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    appendSync(this.file, text);
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
