import {
  type AuthMethod,
  ClientHandshake,
  type ClientHandshakeAction,
  type SealedChannel,
  type WelcomeMessage,
} from '../../protocol/index.js';
import { failure, fromWireError } from './client-errors.js';
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
 * Drives protocol/'s client handshake engine over a FrameLink: every protocol decision
 * (hello, reading the reply, the key schedule) is the engine's; this file only moves frames
 * and arms the timer. On any failure the link is closed. On success it is left unlistened:
 * frames that came after `welcome` stay queued for the session.
 */
export function runHandshake(link: FrameLink, params: HandshakeParams): Promise<Outcome<Handshake>> {
  const { user, password, totp } = params.credentials;
  const engine = new ClientHandshake({ method: params.method, user, password, totp, terminal: params.terminal });
  return new Promise((resolve) => {
    let timer: unknown = null;
    const perform = (actions: ClientHandshakeAction[], linkEvent?: LinkEvent): void => {
      for (const action of actions) {
        if (action.type === 'send') link.send([action.payload]);
        else if (action.type === 'close') link.close();
        else {
          link.listen(null);
          params.clock.clearTimeout(timer);
          resolve(settle(action, linkEvent));
        }
      }
    };
    perform(engine.start());
    if (engine.state !== 'awaiting_reply') return;
    timer = params.clock.setTimeout(() => perform(engine.timeout()), params.timeoutMs);
    link.listen((event) => {
      if (event.kind === 'frame') perform(engine.receiveFrame(event.payload));
      else perform(engine.closed(), event);
    });
  });
}

type Settled = Extract<ClientHandshakeAction, { type: 'established' | 'failed' }>;

/** The engine's verdict in the library's words. */
function settle(action: Settled, linkEvent: LinkEvent | undefined): Outcome<Handshake> {
  if (action.type === 'established') return { ok: true, value: { channel: action.channel, welcome: action.welcome } };
  if (action.reason === 'refused') return { ok: false, error: fromWireError(action.error) };
  if (action.reason === 'bad_reply') return failure('BAD_SERVER_MESSAGE', action.message);
  if (action.reason === 'timeout') return failure('TIMEOUT', 'the bank did not answer the handshake in time');
  const error = linkEvent?.kind === 'end' ? linkEvent.error : null;
  return failure(
    error?.code ?? 'CONNECT_FAILED',
    error?.message ?? 'the bank closed the connection during the handshake',
  );
}
