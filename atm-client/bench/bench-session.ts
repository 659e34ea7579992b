import { randomBytes } from 'node:crypto';
import {
  completeKeyExchange,
  encodeFrame,
  generateX25519KeyPair,
  NONCE_BYTES,
  PROTOCOL_ID,
  parseHandshakeReply,
  SealedChannel,
  toB64,
  wipeSessionKeys,
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

/** Runs the secure-atm/1 handshake on a link; resolves with a sealed session or rejects with the server's code. */
export async function openBenchSession(link: BenchLink, credentials: BenchCredentials): Promise<BenchSession> {
  const keyPair = generateX25519KeyPair();
  const clientNonce = randomBytes(NONCE_BYTES);
  const helloBytes = Buffer.from(
    JSON.stringify({
      type: 'hello',
      protocol: PROTOCOL_ID,
      clientNonce: toB64(clientNonce),
      clientKey: toB64(keyPair.publicKey),
      ...(credentials.terminal === undefined ? {} : { terminal: credentials.terminal }),
      auth: { method: credentials.method, user: credentials.user, password: credentials.password },
    }),
  );
  const welcomeBytes = await link.roundTrip(encodeFrame(helloBytes));
  const reply = parseHandshakeReply(welcomeBytes);
  if (!reply.ok) throw new Error(`bad handshake reply: ${reply.error.message}`);
  if (reply.value.kind === 'error') throw new Error(`login refused: ${reply.value.error.code}`);
  const { welcome } = reply.value;
  const keys = completeKeyExchange(keyPair.secretKey, welcome.serverKey, {
    clientNonce,
    serverNonce: welcome.serverNonce,
    helloBytes,
    welcomeBytes,
  });
  keyPair.secretKey.fill(0);
  if (!keys.ok) throw new Error(keys.error.message);
  const channel = new SealedChannel('client', keys.value, welcome.sessionId);
  wipeSessionKeys(keys.value);
  return new BenchSession(link, channel);
}

/** A logged-in session for the load client: seal, one round trip, open. */
export class BenchSession {
  constructor(
    readonly link: BenchLink,
    private readonly channel: SealedChannel,
  ) {}

  async call(message: Record<string, unknown>): Promise<BenchResponse> {
    const sealed = this.channel.sealMessage(message);
    if (!sealed.ok) throw new Error(sealed.error.message);
    const payload = await this.link.roundTrip(encodeFrame(sealed.value));
    const opened = this.channel.open(payload);
    if (!opened.ok) throw new Error(`server frame failed to open: ${opened.error.code}`);
    const response = JSON.parse(opened.value.toString('utf8')) as {
      id?: unknown;
      ok?: boolean;
      result?: Record<string, unknown>;
      error?: { code: string };
      notice?: string;
    };
    if (response.notice) throw new Error(`notice ${response.notice}`);
    if (response.id !== message.id) throw new Error(`answer to ${String(response.id)}, expected ${String(message.id)}`);
    return response.ok === true
      ? { ok: true, result: response.result ?? {} }
      : { ok: false, code: response.error?.code ?? 'UNKNOWN' };
  }

  close(): void {
    this.channel.destroy();
    this.link.close();
  }
}
