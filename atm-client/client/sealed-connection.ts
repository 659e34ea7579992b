import { parseServerMessage, type SealedChannel, type ServerMessage } from '../../protocol/index.js';
import { clientError } from './client-errors.js';
import type { FrameLink } from './frame-link.js';
import type { ClientError } from './types.js';

export interface ConnectionEvents {
  message(message: ServerMessage): void;
  /** The connection ended without a local close: null for a clean close by the server. */
  closed(error: ClientError | null): void;
}

/**
 * One logged-in connection: seals outgoing requests and opens incoming frames in
 * protocol/README.md §4's order. Anything from the server that breaks the protocol (length,
 * envelope, seq, mac, or a message that is not a response or notice) closes it with
 * BAD_SERVER_MESSAGE; nothing is answered. Keys are wiped when it closes.
 */
export class SealedConnection {
  private events: ConnectionEvents | null = null;
  private closed = false;

  constructor(
    private readonly link: FrameLink,
    private readonly channel: SealedChannel,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Starts delivering events (including any queued since the handshake). */
  start(events: ConnectionEvents): void {
    this.events = events;
    this.link.listen((event) => {
      if (this.closed) return;
      if (event.kind === 'end') {
        this.finish(event.error);
        return;
      }
      const plain = this.channel.open(event.payload);
      if (!plain.ok) {
        this.fail(`sealed frame refused (${plain.error.code})`);
        return;
      }
      const message = parseServerMessage(plain.value);
      if (!message.ok) {
        this.fail(`malformed server message: ${message.error.message}`);
        return;
      }
      this.events?.message(message.value);
    });
  }

  /**
   * Seals request JSON texts (already serialised) and writes them in one go. Returns false
   * when the channel can seal no more (keys wiped or seq exhausted): the caller treats the
   * connection as lost.
   */
  send(jsonTexts: readonly string[]): boolean {
    if (this.closed) return false;
    const payloads: Buffer[] = [];
    for (const text of jsonTexts) {
      const sealed = this.channel.sealer.seal(text);
      if (!sealed.ok) return false;
      payloads.push(sealed.value);
    }
    this.link.send(payloads);
    return true;
  }

  /** Closes locally: no `closed` event follows. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close();
    this.channel.destroy();
  }

  private fail(message: string): void {
    this.link.close();
    this.finish(clientError('BAD_SERVER_MESSAGE', message));
  }

  private finish(error: ClientError | null): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.destroy();
    this.link.close();
    this.events?.closed(error);
  }
}
