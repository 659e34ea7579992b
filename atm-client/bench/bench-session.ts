import {
  ClientHandshake,
  type ClientHandshakeAction,
  encodeFrame,
  encodeRequest,
  parseServerMessage,
  type Request,
  type SealedChannel,
} from '../../protocol/index.js';
import type { BenchLink } from './bench-link.js';

export interface BenchCredentials {
  user: string;
  password: string;
  method: 'password' | 'register';
  /** The CN of the terminal certificate the link presented; absent for a remote session. */
  terminal?: string;
}

export type BenchResponse = { ok: true; result: Record<string, unknown> } | { ok: false; code: string };

/**
 * Runs protocol/'s client handshake engine over a strict request/response link: every
 * protocol decision is the engine's. Resolves with a sealed session or rejects with the
 * server's code.
 */
export async function openBenchSession(link: BenchLink, credentials: BenchCredentials): Promise<BenchSession> {
  const { user, password, method } = credentials;
  const engine = new ClientHandshake({ user, password, method, terminal: credentials.terminal });
  const [hello] = engine.start();
  if (hello?.type !== 'send') throw new Error('the handshake engine did not send hello');
  const verdict = verdictOf(engine.receiveFrame(await link.roundTrip(hello.bytes)));
  if (verdict.type === 'established') return new BenchSession(link, verdict.channel);
  if (verdict.reason === 'refused') throw new Error(`login refused: ${verdict.error.code}`);
  throw new Error(verdict.reason === 'bad_reply' ? verdict.message : `handshake ${verdict.reason}`);
}

function verdictOf(
  actions: ClientHandshakeAction[],
): Extract<ClientHandshakeAction, { type: 'established' | 'failed' }> {
  for (const action of actions) if (action.type === 'established' || action.type === 'failed') return action;
  throw new Error('the handshake engine gave no verdict');
}

/** A logged-in session for the load client: seal, one round trip, open. */
export class BenchSession {
  constructor(
    readonly link: BenchLink,
    private readonly channel: SealedChannel,
  ) {}

  async call(message: Record<string, unknown>): Promise<BenchResponse> {
    const sealed = this.channel.sealer.seal(encodeRequest(message as unknown as Request));
    if (!sealed.ok) throw new Error(sealed.error.message);
    const payload = await this.link.roundTrip(encodeFrame(sealed.value));
    const opened = this.channel.open(payload);
    if (!opened.ok) throw new Error(`server frame failed to open: ${opened.error.code}`);
    const parsed = parseServerMessage(opened.value);
    if (!parsed.ok) throw new Error(`malformed server message: ${parsed.error.message}`);
    if (parsed.value.kind === 'notice') throw new Error(`notice ${parsed.value.notice.notice}`);
    const response = parsed.value.response;
    if (response.id !== message.id) throw new Error(`answer to ${String(response.id)}, expected ${String(message.id)}`);
    return response.ok ? { ok: true, result: response.result } : { ok: false, code: response.error.code };
  }

  close(): void {
    this.channel.destroy();
    this.link.close();
  }
}
