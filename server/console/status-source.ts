import type { LiveFigures } from '../admin/live-figures.js';

/** /status as the console reads it: the live figures plus the process's own state. */
export interface StatusFigures extends LiveFigures {
  status: string;
  uptimeSec: number;
  writerQueueDepth: number;
}

/** A reason the console cannot read a server, with a stable code for the CLI. */
export class StatusSourceError extends Error {
  constructor(
    readonly code: 'SERVER_UNREACHABLE' | 'NOT_A_BANK_STATUS',
    message: string,
  ) {
    super(message);
    this.name = 'StatusSourceError';
  }
}

const POLL_TIMEOUT_MS = 3_000;

/** Fetch one /status from the admin HTTP at `base` (e.g. http://127.0.0.1:9464). */
export async function fetchStatus(base: string): Promise<StatusFigures> {
  const url = new URL('/status', base);
  let body: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(POLL_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    throw new StatusSourceError('SERVER_UNREACHABLE', `no bank server answering at ${url.origin} (${reason(err)})`);
  }
  if (!looksLikeFigures(body)) {
    throw new StatusSourceError('NOT_A_BANK_STATUS', `${url.href} did not answer with the bank's live figures`);
  }
  return body;
}

function reason(err: unknown): string {
  const e = err as { cause?: { code?: unknown }; name?: unknown; message?: unknown };
  if (typeof e.cause?.code === 'string') return e.cause.code;
  if (e.name === 'TimeoutError') return 'timed out';
  return String(e.message ?? err);
}

function looksLikeFigures(body: unknown): body is StatusFigures {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.sampledAtMs === 'number' &&
    typeof b.requestsServed === 'number' &&
    Array.isArray(b.requests) &&
    Array.isArray(b.terminals) &&
    typeof b.latency === 'object' &&
    typeof b.fraudAlerts === 'object'
  );
}
