import { type Logger, pino } from 'pino';

export interface LoggerOptions {
  /** Human-readable lines instead of JSON (a TTY). */
  pretty?: boolean;
  level?: string;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

/** Keys whose values never reach a log line, wherever they sit. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'auth.password',
  'auth.totp',
  'totp',
  'secret',
  '*.secret',
  'current',
  'new',
  'key',
  '*.key',
];

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One JSON line → `12:00:01 INFO  listening port=7443 adminPort=9464`. */
export function prettyLine(json: string): string {
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    const time = new Date(typeof o.time === 'number' ? o.time : Date.now()).toISOString().slice(11, 19);
    const level = (LEVELS[o.level as number] ?? 'INFO').padEnd(5);
    const rest = Object.entries(o)
      .filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${level} ${String(o.msg ?? '')}${rest ? ` ${rest}` : ''}\n`;
  } catch {
    return json;
  }
}

let stdoutClosed = false;
const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * `bank-server start | tee log` and Ctrl-C: the reader of our stdout is gone before our last
 * lines (shutting down, stopped) are written, and the write fails with EPIPE. A log line is
 * not worth the server: from then on lines are dropped, and the shutdown sequence runs on.
 */
export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  // EPIPE, EIO or anything else: a broken stdout is no reason to stop serving; stop writing to it.
  stream.on('error', () => {
    if (stream === process.stdout) stdoutClosed = true;
  });
}

function writeStdout(line: string): void {
  if (stdoutClosed || process.stdout.destroyed) return;
  try {
    process.stdout.write(line);
  } catch {
    stdoutClosed = true;
  }
}

/** pino JSON lines on stdout (DESIGN.md: the ready line is `"msg":"listening"`), pretty in a TTY. */
export function createLogger(options: LoggerOptions = {}): Logger {
  if (!options.write) guardStdout();
  const write = options.write ?? writeStdout;
  const pretty = options.pretty ?? false;
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    { write: (line: string) => write(pretty ? prettyLine(line) : line) },
  );
}
