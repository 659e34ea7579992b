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

/** pino JSON lines on stdout (DESIGN.md: the ready line is `"msg":"listening"`), pretty in a TTY. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
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
