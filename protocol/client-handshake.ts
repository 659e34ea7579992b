/**
 * The client's side of the handshake (protocol/README.md §2–§3) as a sans-IO state machine:
 * `start()` builds hello, `receive(bytes)` / `receiveFrame(payload)` read the one reply,
 * `timeout()` and `closed()` end it. It returns actions and never touches a socket or timer.
 *
 *   idle ──start──▶ awaiting_reply ──welcome──▶ established
 *                        │ error frame, bad reply, timeout, closed
 *                        ▼
 *                      failed
 */
import { randomBytes } from 'node:crypto';
import { NONCE_BYTES } from './constants.js';
import { type CloseAction, checkedMove, type SendAction } from './engine-types.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import { encodeHello, parseHandshakeReply } from './handshake-messages.js';
import { completeKeyExchange, generateX25519KeyPair, wipeSessionKeys, type X25519KeyPair } from './key-schedule.js';
import type { AuthMethod, ErrorFrame, WelcomeMessage } from './message-types.js';
import { SealedChannel } from './sealed-channel.js';

export type ClientHandshakeState = 'idle' | 'awaiting_reply' | 'established' | 'failed';

/** Every move the engine may make; anything else is a bug (checked at run time). */
export const CLIENT_HANDSHAKE_TRANSITIONS: Readonly<Record<ClientHandshakeState, readonly ClientHandshakeState[]>> = {
  idle: ['awaiting_reply', 'failed'],
  awaiting_reply: ['established', 'failed'],
  established: [],
  failed: [],
};

export interface ClientHandshakeParams {
  method: AuthMethod;
  user: string;
  password: string;
  totp?: string | undefined;
  terminal?: string | undefined;
  /** For tests and vectors: the ephemeral key pair and nonce (fresh random ones otherwise). */
  keyPair?: X25519KeyPair;
  clientNonce?: Uint8Array;
}

/** Why a handshake did not finish: the server said no, broke the protocol, was too slow, or hung up. */
export type HandshakeFailure =
  | { reason: 'refused'; error: ErrorFrame }
  | { reason: 'bad_reply'; message: string }
  | { reason: 'timeout' }
  | { reason: 'closed' };

export type ClientHandshakeAction =
  | SendAction
  | CloseAction
  /**
   * Keys derived: the channel is ready. `rest` holds frames that came after welcome in the
   * same bytes, and `decoder` (which may hold part of the next frame) keeps reading the stream.
   */
  | { type: 'established'; channel: SealedChannel; welcome: WelcomeMessage; rest: Buffer[]; decoder: FrameDecoder }
  | ({ type: 'failed' } & HandshakeFailure);

export class ClientHandshake {
  private current: ClientHandshakeState = 'idle';
  private readonly decoder = new FrameDecoder();
  private readonly keyPair: X25519KeyPair;
  private readonly clientNonce: Buffer;
  private helloBytes: Buffer | null = null;
  private helloFrame: Buffer | null = null;

  constructor(private readonly params: ClientHandshakeParams) {
    this.keyPair = params.keyPair ?? generateX25519KeyPair();
    this.clientNonce = Buffer.from(params.clientNonce ?? randomBytes(NONCE_BYTES));
  }

  get state(): ClientHandshakeState {
    return this.current;
  }

  /** Send hello. Its payload holds the password and is wiped when the handshake ends. */
  start(): ClientHandshakeAction[] {
    if (this.current !== 'idle') return [];
    const { method, user, password, totp, terminal } = this.params;
    const hello = encodeHello({
      clientNonce: this.clientNonce,
      clientKey: this.keyPair.publicKey,
      terminal,
      auth: { method, user, password, ...(totp === undefined ? {} : { totp }) },
    });
    this.helloBytes = hello;
    this.helloFrame = encodeFrame(hello);
    this.move('awaiting_reply');
    return [{ type: 'send', bytes: this.helloFrame, payload: hello }];
  }

  /** Raw bytes from the stream, in any chunking. */
  receive(bytes: Uint8Array): ClientHandshakeAction[] {
    if (this.current !== 'awaiting_reply') return [];
    const { frames, error } = this.decoder.push(bytes);
    const [first, ...rest] = frames;
    if (first) return this.reply(first, rest);
    if (error) return this.fail({ reason: 'bad_reply', message: `bad frame from the server: ${error.message}` });
    return [];
  }

  /** One frame payload, for drivers that do their own framing. */
  receiveFrame(payload: Buffer): ClientHandshakeAction[] {
    if (this.current !== 'awaiting_reply') return [];
    return this.reply(payload, []);
  }

  timeout(): ClientHandshakeAction[] {
    return this.current === 'awaiting_reply' || this.current === 'idle' ? this.fail({ reason: 'timeout' }) : [];
  }

  closed(): ClientHandshakeAction[] {
    if (this.current !== 'awaiting_reply' && this.current !== 'idle') return [];
    this.finish('failed');
    return [{ type: 'failed', reason: 'closed' }];
  }

  private reply(payload: Buffer, rest: Buffer[]): ClientHandshakeAction[] {
    const reply = parseHandshakeReply(payload);
    if (!reply.ok) return this.fail({ reason: 'bad_reply', message: `bad handshake reply: ${reply.error.message}` });
    if (reply.value.kind === 'error') return this.fail({ reason: 'refused', error: reply.value.error });
    const welcome = reply.value.welcome;
    if (welcome.message.user !== this.params.user) {
      return this.fail({ reason: 'bad_reply', message: 'welcome names another user' });
    }
    const keys = completeKeyExchange(this.keyPair.secretKey, welcome.serverKey, {
      clientNonce: this.clientNonce,
      serverNonce: welcome.serverNonce,
      helloBytes: this.helloBytes as Buffer,
      welcomeBytes: payload,
    });
    if (!keys.ok) return this.fail({ reason: 'bad_reply', message: `key exchange failed: ${keys.error.message}` });
    const channel = new SealedChannel('client', keys.value, welcome.sessionId);
    wipeSessionKeys(keys.value);
    this.finish('established');
    return [{ type: 'established', channel, welcome: welcome.message, rest, decoder: this.decoder }];
  }

  private fail(failure: HandshakeFailure): ClientHandshakeAction[] {
    this.finish('failed');
    return [
      { type: 'close', mode: 'destroy' },
      { type: 'failed', ...failure },
    ];
  }

  /** The hello carries the password; the X25519 secret must not outlive the exchange. */
  private finish(to: 'established' | 'failed'): void {
    this.move(to);
    this.helloBytes?.fill(0);
    this.helloFrame?.fill(0);
    this.helloBytes = null;
    this.helloFrame = null;
    this.keyPair.secretKey.fill(0);
  }

  private move(to: ClientHandshakeState): void {
    this.current = checkedMove(CLIENT_HANDSHAKE_TRANSITIONS, this.current, to);
  }
}
