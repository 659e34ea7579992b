import { ClientSession } from '../../atm-client/client/client-session.js';
import type { Outcome } from '../../atm-client/client/types.js';
import type { MutatingRequest } from '../../server/ledger/index.js';
import { expMs } from './sim-config.js';
import { openConnection } from './sim-network.js';
import type { World } from './world.js';

/**
 * One ATM: a customer at a machine, on the REAL client library session (ClientSession: in-order
 * pipelining, a lost answer re-sent with the SAME id on a fresh login, up to 3 reconnects, on
 * the simulated clock). Between visits it waits; during one it runs a few operations, now and
 * then two at once. What could not be confirmed it re-sends later with the same id, as the
 * ATM application does.
 */

type Body = MutatingRequest extends infer R ? (R extends MutatingRequest ? Omit<R, 'id'> : never) : never;

interface Unresolved {
  id: string;
  body: Body;
}

export class SimAtm {
  private counter = 0;
  private readonly unresolved: Unresolved[] = [];
  private readonly withdrawals: string[] = [];
  private session: ClientSession | null = null;

  constructor(
    private readonly world: World,
    readonly user: string,
    readonly accountId: number,
  ) {}

  async run(): Promise<void> {
    const { world } = this;
    await world.loop.sleep(world.rng.int(0, 2_000));
    while (!world.stopping) {
      await this.visit();
      await world.loop.sleep(Math.min(60_000, expMs(world.rng, 1_500)));
    }
  }

  /** End of the run: hang up. */
  stop(): void {
    this.session?.close();
    this.session = null;
  }

  private newId(): string {
    this.counter++;
    return `${this.user}-${this.counter}`;
  }

  private async visit(): Promise<void> {
    const { world } = this;
    const credentials = { user: this.user, password: 'simulated' };
    const opened = await openConnection(world, this.user);
    if (!opened.ok) {
      world.trace(`${this.user} login failed: ${opened.error.code}`);
      return;
    }
    const session = new ClientSession(opened.value, credentials, {
      reopen: () => openConnection(world, this.user),
      clock: world.loop.clientClock,
      newId: () => this.newId(),
      timeoutMs: 10_000,
      maxRetries: 3,
      retryBackoffMs: 200,
    });
    this.session = session;
    const ops = world.rng.int(1, 8);
    for (let i = 0; i < ops && !world.stopping; i++) {
      const together = world.rng.chance(0.25) ? world.rng.int(2, 4) : 1;
      const calls: Array<Promise<void>> = [];
      for (let k = 0; k < together; k++) calls.push(this.operate(session));
      await Promise.all(calls);
      await world.loop.sleep(world.rng.int(50, 3_000));
    }
    if (world.rng.chance(0.7)) await session.logout();
    else session.close();
    if (this.session === session) this.session = null;
  }

  private async operate(session: ClientSession): Promise<void> {
    const { world } = this;
    const rng = world.rng;
    world.stats.requests++;
    const roll = rng.float();
    if (this.unresolved.length > 0 && roll < 0.15) {
      const again = this.unresolved.splice(rng.int(0, this.unresolved.length - 1), 1)[0] as Unresolved;
      world.stats.resends++;
      return this.mutate(session, again.id, again.body);
    }
    if (roll < 0.22) {
      await session.balance();
      return;
    }
    if (roll < 0.27) {
      await session.history({ limit: rng.int(1, 20) });
      return;
    }
    const amount = rng.chance(0.1) ? rng.int(100_000, 300_000) : rng.int(1, 50_000);
    let body: Body;
    if (roll < 0.55) body = { op: 'deposit', amountCents: amount };
    else if (roll < 0.78) body = { op: 'withdraw', amountCents: amount };
    else if (roll < 0.92) body = { op: 'transfer', amountCents: amount, to: rng.pick(world.users) };
    else if (roll < 0.97 && this.withdrawals.length > 0) {
      body = { op: 'reverse', txId: rng.pick(this.withdrawals), reason: 'NOT_DISPENSED' };
    } else body = { op: 'update_contact', email: `${this.user}@example.com` };
    return this.mutate(session, this.newId(), body);
  }

  private async mutate(session: ClientSession, id: string, body: Body): Promise<void> {
    const { world } = this;
    world.oracle.noteRequest(this.accountId, { id, ...body } as MutatingRequest);
    world.trace(`${this.user} sends ${body.op} ${id}`);
    const outcome = await send(session, id, body);
    if (outcome.ok) {
      world.oracle.onAck(id, outcome.value);
      world.stats.acked++;
      if (outcome.value.replayed === true) world.stats.replays++;
      if (body.op === 'withdraw' && typeof outcome.value.txId === 'string') this.withdrawals.push(outcome.value.txId);
      if (this.withdrawals.length > 20) this.withdrawals.shift();
      world.trace(
        `${this.user} ack ${id}${outcome.value.replayed === true ? ' (replayed)' : ''} ${String(outcome.value.txId ?? '')}`,
      );
      return;
    }
    const { code, requestId } = outcome.error;
    world.trace(`${this.user} ${id} -> ${code}`);
    if (requestId !== undefined || code === 'INTERNAL' || code === 'SERVER_BUSY' || code === 'SESSION_CLOSED') {
      world.stats.unconfirmed++;
      if (world.rng.chance(0.8)) this.unresolved.push({ id, body });
      return;
    }
    world.stats.refused++;
    world.oracle.onRefusal(id, code);
  }
}

function send(session: ClientSession, id: string, body: Body): Promise<Outcome<Record<string, unknown>>> {
  const options = { id };
  switch (body.op) {
    case 'deposit':
      return session.deposit(body.amountCents, options) as Promise<Outcome<Record<string, unknown>>>;
    case 'withdraw':
      return session.withdraw(body.amountCents, options) as Promise<Outcome<Record<string, unknown>>>;
    case 'transfer':
      return session.transfer(body.to, body.amountCents, options) as Promise<Outcome<Record<string, unknown>>>;
    case 'reverse':
      return session.reverse(body.txId, body.reason, options) as Promise<Outcome<Record<string, unknown>>>;
    case 'update_contact':
      return session.updateContact({ email: body.email as string }, options) as Promise<
        Outcome<Record<string, unknown>>
      >;
    default:
      throw new Error(`the simulated ATM does not send ${body.op}`);
  }
}
