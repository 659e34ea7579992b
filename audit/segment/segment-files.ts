import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isErrno } from '../errors.js';
import { headerHash, parseBodyLine, parseHeaderLine, SEGMENT_EXTENSION } from './segment-format.js';

const NAME_PATTERN = /^(\d{8}T\d{9}Z)-(\d{4,})\.enc$/;
const TAIL_BYTES = 1 << 20;

/** `YYYYMMDDTHHMMSSmmmZ`: sortable, and safe in file names everywhere. */
export function runStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

function stampToTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp);
  if (!m) return Number.NaN;
  return Date.UTC(+(m[1] ?? 0), +(m[2] ?? 1) - 1, +(m[3] ?? 1), +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? 0));
}

/** `<start-time>-<n>.enc`, n zero-padded so that names sort in writing order. */
export function segmentFileName(run: string, n: number): string {
  return `${run}-${String(n).padStart(4, '0')}${SEGMENT_EXTENSION}`;
}

export function parseSegmentFileName(name: string): { run: string; n: number } | null {
  const m = NAME_PATTERN.exec(name);
  return m ? { run: m[1] ?? '', n: Number(m[2]) } : null;
}

/**
 * A run stamp later than every existing segment's, even if the clock went back, so that
 * name order stays writing order (the next start finds its predecessor by name).
 */
export function nextRunStamp(now: Date, lastSegmentName: string | null): string {
  const stamp = runStamp(now);
  const last = lastSegmentName ? parseSegmentFileName(lastSegmentName) : null;
  if (!last || stamp > last.run) return stamp;
  const lastTime = stampToTime(last.run);
  return runStamp(new Date((Number.isNaN(lastTime) ? now.getTime() : lastTime) + 1));
}

/** Segment files (`*.enc`) in a folder, full paths in name order; [] when it does not exist. */
export async function listSegmentFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  return names
    .filter((name) => name.endsWith(SEGMENT_EXTENSION))
    .sort()
    .map((name) => join(dir, name));
}

/** Where a segment file ends, as the next segment's header must name it. */
export interface SegmentEnd {
  name: string;
  /** Chain value after the last complete line (header hash when there are none). */
  hash: Buffer;
  /** seq of the last record (firstSeq − 1 when none, 0 when the header is unreadable). */
  lastSeq: number;
  closed: boolean;
  /** The key a rotating close handed over to (null for a plain close or no close). */
  next: Buffer | null;
  /** The header's signing key (null when the header is unreadable). */
  signer: Buffer | null;
}

/**
 * Read a segment's header and the tail of its last complete line, without checking
 * the chain (that is the auditor's job): the writer only needs where to continue from.
 */
export async function readSegmentEnd(path: string): Promise<SegmentEnd> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const headBuf = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(headBuf, 0, headBuf.length, 0);
    const headText = headBuf.toString('utf8');
    const newline = headText.indexOf('\n');
    const headerText = newline < 0 ? headText : headText.slice(0, newline);
    const parsed = parseHeaderLine(headerText);
    const firstSeq = 'error' in parsed ? 1 : parsed.header.firstSeq;
    const end: SegmentEnd = {
      name: basename(path),
      hash: headerHash(headerText),
      lastSeq: firstSeq - 1,
      closed: false,
      next: null,
      signer: 'error' in parsed ? null : parsed.signingPublicKey,
    };
    if (newline < 0) return end;

    const headerBytes = Buffer.byteLength(headerText) + 1;
    const start = Math.max(headerBytes, size - TAIL_BYTES);
    const tail = Buffer.alloc(size - start);
    await handle.read(tail, 0, tail.length, start);
    const lines = tail.toString('utf8').split('\n');
    lines.pop(); // after the last '\n': empty, or a line torn by a crash
    for (let k = lines.length - 1; k >= 0; k--) {
      const line = parseBodyLine(lines[k] ?? '');
      if ('error' in line) continue;
      const next = line.type === 'close' ? line.next : null;
      return { ...end, hash: line.hash, lastSeq: line.seq, closed: line.type === 'close', next };
    }
    return end;
  } finally {
    await handle.close();
  }
}

/** The last seq written to the plaintext log, and whether its last line lacks its '\n'. */
export async function readPlaintextEnd(path: string): Promise<{ lastSeq: number; torn: boolean }> {
  const tail = await readTail(path);
  if (tail === null) return { lastSeq: 0, torn: false };
  const lines = tail.split('\n');
  const torn = (lines.pop() ?? '') !== '';
  for (let k = lines.length - 1; k >= 0; k--) {
    try {
      const value = JSON.parse(lines[k] ?? '') as { seq?: unknown };
      if (typeof value.seq === 'number' && Number.isSafeInteger(value.seq)) return { lastSeq: value.seq, torn };
    } catch {
      // a damaged line: look further back
    }
  }
  return { lastSeq: 0, torn };
}

/**
 * The events audit.log holds after seq `after`, when they form an unbroken run up to its
 * last event (read from the last MiB). A crash can leave audit.log ahead of the segment
 * (the writer appends to audit.log first); the next segment re-seals these so both logs
 * hold the same events. [] when there are none or the run is broken.
 */
export async function readPlaintextAfter(path: string, after: number): Promise<Array<Record<string, unknown>>> {
  const tail = await readTail(path);
  if (tail === null) return [];
  const lines = tail.split('\n');
  lines.pop(); // empty, or a line torn by a crash: never an event to re-seal
  const events: Array<Record<string, unknown>> = [];
  for (let k = lines.length - 1; k >= 0; k--) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(lines[k] ?? '') as Record<string, unknown>;
    } catch {
      return []; // a damaged line inside the run: do not guess
    }
    if (typeof value.seq !== 'number' || value.seq <= after) break;
    if (typeof value.ts !== 'string' || typeof value.kind !== 'string') return [];
    const { level: _level, ...event } = value;
    events.unshift(event);
  }
  return events.every((e, n) => e.seq === after + 1 + n) ? events : [];
}

/** The last MiB of audit.log as text ('' for an empty file), or null when there is no file. */
async function readTail(path: string): Promise<string | null> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  if (size === 0) return '';
  const handle = await open(path, 'r');
  try {
    const start = Math.max(0, size - TAIL_BYTES);
    const tail = Buffer.alloc(size - start);
    await handle.read(tail, 0, tail.length, start);
    return tail.toString('utf8');
  } finally {
    await handle.close();
  }
}
