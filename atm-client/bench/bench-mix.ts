/** The bench's customers: one registered, funded session per connection, each driving the mix in a closed loop. */
import { BENCH_PASSWORD, type BenchTerminal, inBatches } from './bench-bank.js';
import { BenchLink } from './bench-link.js';
import { type BenchSession, openBenchSession } from './bench-session.js';
import type { LoadWorker } from './load-driver.js';
import { type MixOp, requestFor } from './workload.js';

/** What each bench account starts with: more than a run can spend. */
const OPENING_CENTS = 10_000_000;

/**
 * `connections` sessions, each a new account with an opening deposit, at terminal i % n, on the
 * bank `portOf(i)` names (several instances: the connections spread over them). One account more
 * is opened and let go, so that even C = 1 has someone to transfer to.
 */
export async function openMixSessions(input: {
  connections: number;
  ca: string;
  terminals: readonly BenchTerminal[];
  portOf: (i: number) => number;
  user: (i: number) => string;
}): Promise<BenchSession[]> {
  const sessions = await inBatches(input.connections + 1, 16, async (i) => {
    const terminal = input.terminals[i % input.terminals.length] as BenchTerminal;
    const link = await BenchLink.open({
      host: '127.0.0.1',
      port: input.portOf(i),
      ca: input.ca,
      cert: terminal.cert,
      key: terminal.key,
    });
    const session = await openBenchSession(link, {
      user: input.user(i),
      password: BENCH_PASSWORD,
      method: 'register',
      terminal: terminal.id,
    });
    const opened = await session.call({ id: `open-${i}`, op: 'deposit', amountCents: OPENING_CENTS });
    if (!opened.ok) throw new Error(`opening deposit refused: ${opened.code}`);
    return session;
  });
  sessions.pop()?.close();
  return sessions;
}

/** One load worker per session: the mix from its own offset, transfers to the next account. */
export function mixWorkers(
  sessions: readonly BenchSession[],
  schedule: readonly MixOp[],
  user: (i: number) => string,
): LoadWorker[] {
  const accounts = sessions.length + 1;
  return sessions.map((session, i) => {
    let n = 0;
    const offset = i * 7;
    const to = user((i + 1) % accounts);
    return {
      async step() {
        const op = schedule[(offset + n) % schedule.length] as MixOp;
        const response = await session.call(requestFor(op, `s${i}-${n++}`, to));
        return response.ok ? null : response.code;
      },
      bytes: () => ({ out: session.link.bytesOut, in: session.link.bytesIn }),
    };
  });
}
