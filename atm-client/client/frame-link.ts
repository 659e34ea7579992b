import type { Duplex } from 'node:stream';
import { encodeFrame, FrameDecoder } from '../../protocol/index.js';
import { clientError } from './client-errors.js';
import type { ClientError } from './types.js';

/** What a link reports: a complete frame payload, or its end (null = closed cleanly by the peer). */
export type LinkEvent = { kind: 'frame'; payload: Buffer } | { kind: 'end'; error: ClientError | null };

/**
 * A framed byte stream to the bank: the seam between the sockets and the protocol logic.
 * Events that arrive while nobody listens are queued, so a handshake can hand the link to a
 * session without losing a frame that came in the same read as `welcome`.
 */
export interface FrameLink {
  /** Frames each payload and writes them together (one TLS record where possible). */
  send(payloads: readonly Uint8Array[]): void;
  /** Sets (or, with null, removes) the listener; queued events are delivered at once. */
  listen(listener: ((event: LinkEvent) => void) | null): void;
  /** Closes the link; no `end` event follows a local close. */
  close(): void;
}

/** Adapts a connected duplex stream (a TLS socket) to a FrameLink. */
export class StreamFrameLink implements FrameLink {
  private readonly decoder = new FrameDecoder();
  private readonly queue: LinkEvent[] = [];
  private listener: ((event: LinkEvent) => void) | null = null;
  private ended = false;
  private lastError: ClientError | null = null;

  constructor(
    private readonly stream: Duplex & { cork(): void; uncork(): void },
    classifyError: (error: Error) => ClientError,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (error: Error) => {
      this.lastError = classifyError(error);
    });
    stream.on('close', () => this.end(this.lastError));
  }

  send(payloads: readonly Uint8Array[]): void {
    if (this.ended) return;
    this.stream.cork();
    for (const payload of payloads) this.stream.write(encodeFrame(payload));
    this.stream.uncork();
  }

  listen(listener: ((event: LinkEvent) => void) | null): void {
    this.listener = listener;
    while (this.listener && this.queue.length > 0) {
      const event = this.queue.shift();
      if (event) this.listener(event);
    }
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    const { frames, error } = this.decoder.push(chunk);
    for (const payload of frames) {
      // The listener may have closed the link while handling an earlier frame of this read.
      if (this.ended) return;
      this.deliver({ kind: 'frame', payload });
    }
    if (error && !this.ended) {
      // A bad length from the server is a broken stream: never wait for its body.
      this.end(clientError('BAD_SERVER_MESSAGE', `bad frame from the server: ${error.message}`));
      this.stream.destroy();
    }
  }

  private end(error: ClientError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.deliver({ kind: 'end', error });
  }

  private deliver(event: LinkEvent): void {
    if (this.listener) this.listener(event);
    else this.queue.push(event);
  }
}
