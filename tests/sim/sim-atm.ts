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
  /** Re-sent only from the machine it was first sent from (null: a remote session). */
  terminal: string | null;
}

interface Withdrawal {
  txId: string;
  terminal: string | null;
}

export class SimAtm {
  private counter = 0;
  private readonly unresolved: Unresolved[] = [];
  private readonly withdrawals: Withdrawal[] = [];
  private session: ClientSession | null = null;
  /** Where the current visit happens: an enrolled terminal's id, or null (a remote session). */
  private at: string | null = null;

  constructor(
    private readonly world: World,
    readonly user: string,
    readonly accountId: number,
    /** The machine this customer mostly uses. */
    private readonly home: string,
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

  /** Mostly the home machine, sometimes another one, now and then a remote session (no cash there). */
  private pickPlace(): string | null {
    const rng = this.world.rng;
    const roll = rng.float();
    if (roll < this.world.profile.remoteVisits) return null;
    if (roll < this.world.profile.remoteVisits + 0.2) return rng.pick(this.world.terminalIds);
    return this.home;
  }

  private async visit(): Promise<void> {
    const { world } = this;
    const credentials = { user: this.user, password: 'simulated' };
    const at = this.pickPlace();
    this.at = at;
    const opened = await openConnection(world, this.user, at);
    if (!opened.ok) {
      world.trace(`${this.user} login failed: ${opened.error.code}`);
      return;
    }
    const session = new ClientSession(opened.value, credentials, {
      reopen: () => openConnection(world, this.user, at),
      clock: world.loop.clientClock,
      newId: () => this.newId(),
      timeoutMs: 10_000,
      maxRetries: 3,
      retryBackoffMs: 200,
      // The reconnect and SERVER_BUSY jitter draws from the run's one PRNG (its default is Math.random).
      random: () => world.rng.float(),
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
    const here = this.at;
    const resendable = this.unresolved.filter((u) => u.terminal === here);
    if (resendable.length > 0 && roll < 0.15) {
      const again = rng.pick(resendable);
      this.unresolved.splice(this.unresolved.indexOf(again), 1);
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
      // Mostly a withdrawal this machine dispensed; now and then one from elsewhere (UNKNOWN_TX).
      const local = this.withdrawals.filter((w) => w.terminal === here);
      const elsewhere = this.withdrawals.filter((w) => w.terminal !== here);
      const pool = local.length > 0 && (elsewhere.length === 0 || rng.chance(0.6)) ? local : elsewhere;
      body = { op: 'reverse', txId: rng.pick(pool).txId, reason: 'NOT_DISPENSED' };
    } else body = { op: 'update_contact', email: `${this.user}@example.com` };
    return this.mutate(session, this.newId(), body);
  }

  private async mutate(session: ClientSession, id: string, body: Body): Promise<void> {
    const { world } = this;
    const here = this.at;
    world.oracle.noteRequest(this.accountId, { id, ...body } as MutatingRequest, here);
    world.trace(`${this.user} sends ${body.op} ${id}`);
    const outcome = await send(session, id, body);
    if (outcome.ok) {
      world.oracle.onAck(id, outcome.value);
      if (body.op === 'reverse' && outcome.value.replayed !== true) world.stats.reversals++;
      world.stats.acked++;
      if (outcome.value.replayed === true) world.stats.replays++;
      if (body.op === 'withdraw' && typeof outcome.value.txId === 'string') {
        this.withdrawals.push({ txId: outcome.value.txId, terminal: here });
      }
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
      if (world.rng.chance(0.8)) this.unresolved.push({ id, body, terminal: here });
      return;
    }
    world.stats.refused++;
    if (body.op === 'reverse' && code === 'UNKNOWN_TX') world.stats.reversalsUnknown++;
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
