import type { OpenedConnection } from '../../atm-client/client/client-session.js';
import type { FrameLink } from '../../atm-client/client/frame-link.js';
import { type ConnectionEvents, SealedConnection } from '../../atm-client/client/sealed-connection.js';
import type { Outcome } from '../../atm-client/client/types.js';
import { PROTOCOL_ID, parseServerMessage, type SealedChannel } from '../../protocol/index.js';
import { US_PER_MS } from './sim-loop.js';
import type { SimTerminal } from './sim-server.js';
import type { ServerConnection } from './sim-server-connection.js';
import type { World } from './world.js';

/**
 * Simulated connections at the request/response level (framing, sealing and the handshake's
 * bytes are tested elsewhere). Each connection is two in-order streams, as TLS over TCP is:
 * a message is delivered, delayed (a spike beyond the client's timeout), lost with the
 * connection cut before it, or followed by a cut. Data a client sent before closing its end
 * still reaches the server, so an old request can arrive after its retry. A duplicate is the
 * same request delivered again later on a connection whose answers go nowhere.
 */

export class SimLink {
  /** The path is gone (cut or server crash): nothing more is delivered, except what a crash let through. */
  cut = false;
  /** The client closed its end (timeout, logout): what it sent before still arrives. */
  clientClosed = false;
  private clientNotified = false;
  private toServerAt = 0;
  private toClientAt = 0;
  private crashedAtUs: number | null = null;
  events: ConnectionEvents | null = null;
  server: ServerConnection | null = null;

  constructor(
    readonly id: number,
    readonly user: string,
    readonly epoch: number,
    private readonly world: World,
    /** The machine this connection comes from (its certificate at connect time); null = remote. */
    readonly terminal: SimTerminal | null,
  ) {}

  /** Client → server. */
  sendRequest(json: string): void {
    const { world } = this;
    if (this.cut || this.clientClosed) return;
    const profile = world.profile;
    if (world.rng.chance(profile.cutBefore)) {
      world.stats.cuts++;
      this.cutNow('cut before a request');
      return;
    }
    const at = Math.max(this.toServerAt, world.loop.nowUs + world.latencyUs());
    this.toServerAt = at;
    world.loop.after(at - world.loop.nowUs, `c${this.id} request arrives`, () => {
      if (this.cut || !this.server || !world.server.isCurrent(this.epoch)) return;
      world.trace(`c${this.id} server receives ${describeRequest(json)}`);
      this.server.onRequest(json);
      if (world.rng.chance(profile.cutAfter)) {
        world.stats.cuts++;
        this.cutNow('cut after a request arrived');
      }
    });
    if (world.rng.chance(profile.duplicate)) {
      world.stats.duplicates++;
      const lag = world.rng.int(1, 20_000) * US_PER_MS;
      world.loop.after(at - world.loop.nowUs + lag, `duplicate of c${this.id} request arrives`, () => {
        if (world.server.up) world.trace(`duplicate of ${describeRequest(json)} arrives on a dead connection`);
        world.server.onGhostRequest(this.user, this.terminal, json);
      });
    }
  }

  /** Server → client: an answer's JSON text, as the engine encoded it. */
  sendResponse(text: string): void {
    const { world } = this;
    if (this.cut || this.clientClosed) return;
    if (world.rng.chance(world.profile.cutBefore)) {
      world.stats.cuts++;
      this.cutNow('cut before a response');
      return;
    }
    const sentAt = world.loop.nowUs;
    const survivesCrash = world.rng.chance(0.5);
    const at = Math.max(this.toClientAt, sentAt + world.latencyUs());
    this.toClientAt = at;
    world.loop.after(at - sentAt, `c${this.id} response arrives`, () => {
      const crashLetThrough = this.crashedAtUs !== null && sentAt <= this.crashedAtUs && survivesCrash;
      if ((this.cut && !crashLetThrough) || this.clientClosed || this.clientNotified || !this.events) return;
      const parsed = parseServerMessage(text);
      if (!parsed.ok) return world.oracle.fail(`the server sent a malformed message: ${parsed.error.message}`);
      this.events.message(parsed.value);
      if (!this.cut && world.rng.chance(world.profile.cutAfter)) {
        world.stats.cuts++;
        this.cutNow('cut after a response arrived');
      }
    });
  }

  /** The connection breaks: both ends learn it, the client one latency later. */
  cutNow(reason: string): void {
    if (this.cut) return;
    this.cut = true;
    this.world.trace(`c${this.id} ${reason}`);
    this.server?.onClosed();
    this.notifyClient(this.world.loop.nowUs + this.world.latencyUs());
  }

  /** The server process died: answers already sent may still arrive, then the client sees the close. */
  crash(): void {
    if (this.cut) return;
    this.cut = true;
    this.crashedAtUs = this.world.loop.nowUs;
    this.notifyClient(Math.max(this.toClientAt + 1, this.world.loop.nowUs + this.world.latencyUs()));
  }

  private notifyClient(atUs: number): void {
    this.world.loop.after(atUs - this.world.loop.nowUs, `c${this.id} client sees close`, () => {
      if (this.clientClosed || this.clientNotified) return;
      this.clientNotified = true;
      this.events?.closed({ code: 'CONNECTION_LOST', message: 'the connection was cut' });
    });
  }
}

/** `deposit atm0007-12` from a request's JSON text (the client writes id and op first). */
function describeRequest(json: string): string {
  const match = /^\{"id":"([^"]*)","op":"([^"]*)"/.exec(json);
  return match ? `${match[2]} ${match[1]}` : 'a request';
}

const NO_LINK = undefined as unknown as FrameLink;
const NO_CHANNEL = undefined as unknown as SealedChannel;

/** The client library's connection type, carried by a SimLink instead of sealed frames. */
export class SimClientConnection extends SealedConnection {
  private open = true;

  constructor(private readonly simLink: SimLink) {
    super(NO_LINK, NO_CHANNEL);
  }

  override get isOpen(): boolean {
    return this.open;
  }

  override start(events: ConnectionEvents): void {
    this.simLink.events = events;
  }

  override send(jsonTexts: readonly string[]): boolean {
    if (!this.open) return false;
    for (const text of jsonTexts) this.simLink.sendRequest(text);
    return true;
  }

  override close(): void {
    if (!this.open) return;
    this.open = false;
    this.simLink.clientClosed = true;
    this.simLink.server?.onClientFinished();
  }
}

/**
 * Connect and log in (hello → welcome), as the connector does: one latency to the server, the
 * login check there, one latency back. A cut or a crash in between fails the attempt. From a
 * terminal, the machine presents the certificate it holds now (the last one enrolled).
 */
export function openConnection(
  world: World,
  user: string,
  terminalId: string | null,
): Promise<Outcome<OpenedConnection>> {
  return new Promise((resolve) => {
    const fail = (code: 'CONNECT_FAILED' | 'CONNECTION_LOST', message: string) =>
      resolve({ ok: false, error: { code, message } });
    world.stats.connects++;
    if (world.rng.chance(world.profile.cutBefore)) {
      world.loop.after(world.latencyUs(), 'connect fails', () => fail('CONNECT_FAILED', 'connection reset'));
      return;
    }
    world.loop.after(world.latencyUs(), `${user} hello arrives`, () => {
      const epoch = world.server.epoch;
      if (!world.server.up) {
        world.loop.after(world.latencyUs(), 'connect refused', () => fail('CONNECT_FAILED', 'connection refused'));
        return;
      }
      const login = world.server.login(user);
      // bcrypt's time, then the welcome's trip back.
      world.loop.after(world.rng.int(2, 60) * US_PER_MS + world.latencyUs(), `${user} welcome arrives`, () => {
        if (!world.server.isCurrent(epoch)) return fail('CONNECTION_LOST', 'the server went away during login');
        if (!login.ok) return resolve({ ok: false, error: { code: login.code, message: 'login refused' } });
        const terminal = terminalId === null ? null : world.terminalCertificate(terminalId);
        const link = new SimLink(world.nextLinkId(), user, epoch, world, terminal);
        link.server = world.server.accept(link, login.account, terminal);
        const welcome = {
          type: 'welcome' as const,
          protocol: PROTOCOL_ID as typeof PROTOCOL_ID,
          serverNonce: '',
          serverKey: '',
          sessionId: `s${link.id}`,
          user,
          idleTimeoutSec: 300,
        };
        resolve({ ok: true, value: { connection: new SimClientConnection(link), welcome } });
      });
    });
  });
}
