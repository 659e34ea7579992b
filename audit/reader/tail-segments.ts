import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent } from '../events/audit-event.js';
import { auditorPublicKeyOf } from '../keys/key-files.js';
import { listSegmentFiles } from '../segment/segment-files.js';
import { SegmentOpener } from './decrypt-segments.js';
import type { TextLine } from './line-reader.js';

export interface TailOptions {
  /** How many of the newest segment's events to show first. */
  lines: number;
  /** Keep following new lines and new segments until `signal` aborts. */
  follow: boolean;
  pollMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * The newest events of a live log, then (with `follow`) every new one as the server
 * appends it, moving on to the next segment when one appears. Only complete lines are
 * read, so a line being written is picked up on the next poll.
 */
export async function* tailSegments(
  segmentsDir: string,
  auditorSecretKey: Uint8Array,
  options: TailOptions,
): AsyncGenerator<AuditEvent> {
  const auditorPublicKey = auditorPublicKeyOf(auditorSecretKey);
  let current: FileCursor | null = null;
  const newest = (await listSegmentFiles(segmentsDir)).at(-1);
  if (newest) {
    current = new FileCursor(newest, new SegmentOpener(newest, auditorSecretKey, auditorPublicKey));
    const recent: TextLine[] = [];
    for (const line of await current.readNewLines()) {
      if (line.lineNo === 1 || !line.text.startsWith('{"type":"record"')) current.opener.push(line);
      else {
        recent.push(line);
        if (recent.length > options.lines) recent.shift();
      }
    }
    for (const line of recent) {
      const event = current.opener.push(line);
      if (event) yield event;
    }
  }
  try {
    while (options.follow && !options.signal?.aborted) {
      try {
        await sleep(options.pollMs, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        return; // aborted
      }
      if (current) {
        for (const line of await current.readNewLines()) {
          const event = current.opener.push(line);
          if (event) yield event;
        }
      }
      const files = await listSegmentFiles(segmentsDir);
      const next = current ? files.find((file) => file > (current as FileCursor).path) : files[0];
      if (next) {
        if (current) {
          // Whatever the old segment got before the switch (its close record) comes first.
          for (const line of await current.readNewLines()) {
            const event = current.opener.push(line);
            if (event) yield event;
          }
          current.opener.wipe();
        }
        current = new FileCursor(next, new SegmentOpener(next, auditorSecretKey, auditorPublicKey));
      }
    }
  } finally {
    current?.opener.wipe();
  }
}

/** Reads a growing file from where it stopped, complete lines only. */
class FileCursor {
  private offset = 0;
  private lineNo = 0;

  constructor(
    readonly path: string,
    readonly opener: SegmentOpener,
  ) {}

  async readNewLines(): Promise<TextLine[]> {
    const handle = await open(this.path, 'r');
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a, bytesRead - 1);
      if (end < 0) return [];
      this.offset += end + 1;
      return buf
        .toString('utf8', 0, end)
        .split('\n')
        .map((text) => ({ text, lineNo: ++this.lineNo, torn: false }));
    } finally {
      await handle.close();
    }
  }
}
