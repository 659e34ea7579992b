import { randomBytes } from 'node:crypto';
import {
  type AuthMethod,
  completeKeyExchange,
  generateX25519KeyPair,
  type HelloMessage,
  NONCE_BYTES,
  PROTOCOL_ID,
  parseHandshakeReply,
  SealedChannel,
  toB64,
  type WelcomeMessage,
  wipeSessionKeys,
} from '../../protocol/index.js';
import { failure } from './client-errors.js';
import type { Clock } from './clock.js';
import type { FrameLink, LinkEvent } from './frame-link.js';
import type { Credentials, Outcome } from './types.js';

export interface HandshakeParams {
  method: AuthMethod;
  credentials: Credentials;
  terminal?: string | undefined;
  timeoutMs: number;
  clock: Clock;
}

/** A finished handshake: the sealed channel (keys already derived) and what `welcome` said. */
export interface Handshake {
  channel: SealedChannel;
  welcome: WelcomeMessage;
}

/**
 * PROTOCOL.md §2–§3 for the client: send `hello`, read one frame, and either report the
 * server's error code or derive the keys from the exact bytes that crossed the wire.
 * On any failure the link is closed. On success it is left unlistened: frames that came
 * after `welcome` stay queued for the session.
 */
export async function runHandshake(link: FrameLink, params: HandshakeParams): Promise<Outcome<Handshake>> {
  const keyPair = generateX25519KeyPair();
  const clientNonce = randomBytes(NONCE_BYTES);
  const { user, password, totp } = params.credentials;
  const hello: HelloMessage = {
    type: 'hello',
    protocol: PROTOCOL_ID,
    clientNonce: toB64(clientNonce),
    clientKey: toB64(keyPair.publicKey),
    ...(params.terminal === undefined ? {} : { terminal: params.terminal }),
    auth: { method: params.method, user, password, ...(totp === undefined ? {} : { totp }) },
  };
  const helloBytes = Buffer.from(JSON.stringify(hello), 'utf8');
  try {
    link.send([helloBytes]);
    const event = await firstEvent(link, params.clock, params.timeoutMs);
    if (event === 'timeout')
      return closeWith(link, failure('TIMEOUT', 'the bank did not answer the handshake in time'));
    if (event.kind === 'end') {
      return closeWith(
        link,
        failure(
          event.error?.code ?? 'CONNECT_FAILED',
          event.error?.message ?? 'the bank closed the connection during the handshake',
        ),
      );
    }
    const reply = parseHandshakeReply(event.payload);
    if (!reply.ok) {
      return closeWith(link, failure('BAD_SERVER_MESSAGE', `bad handshake reply: ${reply.error.message}`));
    }
    if (reply.value.kind === 'error') {
      const refused = failure(reply.value.error.code, reply.value.error.message);
      const { retryAfterMs } = reply.value.error;
      if (retryAfterMs !== undefined) refused.error.retryAfterMs = retryAfterMs;
      return closeWith(link, refused);
    }
    const welcome = reply.value.welcome;
    if (welcome.message.user !== user) {
      return closeWith(link, failure('BAD_SERVER_MESSAGE', 'welcome names another user'));
    }
    const keys = completeKeyExchange(keyPair.secretKey, welcome.serverKey, {
      clientNonce,
      serverNonce: welcome.serverNonce,
      helloBytes,
      welcomeBytes: event.payload,
    });
    if (!keys.ok) return closeWith(link, failure('BAD_SERVER_MESSAGE', `key exchange failed: ${keys.error.message}`));
    const channel = new SealedChannel('client', keys.value, welcome.sessionId);
    wipeSessionKeys(keys.value);
    return { ok: true, value: { channel, welcome: welcome.message } };
  } finally {
    // The hello carries the password; the X25519 secret must not outlive the exchange.
    helloBytes.fill(0);
    keyPair.secretKey.fill(0);
  }
}

function firstEvent(link: FrameLink, clock: Clock, timeoutMs: number): Promise<LinkEvent | 'timeout'> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => {
      link.listen(null);
      resolve('timeout');
    }, timeoutMs);
    link.listen((event) => {
      link.listen(null);
      clock.clearTimeout(timer);
      resolve(event);
    });
  });
}

function closeWith<T>(link: FrameLink, outcome: T): T {
  link.close();
  return outcome;
}
