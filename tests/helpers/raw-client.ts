import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import {
  completeKeyExchange,
  encodeFrame,
  FrameDecoder,
  generateX25519KeyPair,
  PROTOCOL_ID,
  parseHandshakeReply,
  parseJsonObject,
  SealedChannel,
  type SessionKeys,
  toB64,
} from '../../protocol/index.js';

export interface HelloOptions {
  user: string;
  password: string;
  method?: 'password' | 'register';
  totp?: string;
  terminal?: string;
}

export type HelloReply =
  | { kind: 'welcome'; welcome: Record<string, unknown> }
  | { kind: 'error'; code: string; message: string; retryAfterMs?: number };

/**
 * A deliberately low-level client built from protocol/ alone, for driving the server in
 * tests: it can speak the protocol correctly and also break it on purpose.
 */
export class RawClient {
  readonly decoder = new FrameDecoder();
  private readonly frames: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;
  channel: SealedChannel | null = null;
  /** Copies of the session keys and id, so tests can forge frames with the wrong ones. */
  keys: SessionKeys | null = null;
  sessionId: Buffer | null = null;

  private constructor(readonly socket: TLSSocket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const { frames } = this.decoder.push(chunk);
      this.frames.push(...frames);
      this.wake();
    });
  }

  /** `cert`/`key`: a terminal certificate (PEM) to present; without them a remote session. */
  static connect(options: {
    port: number;
    ca: string;
    host?: string;
    cert?: string;
    key?: string;
  }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: options.host ?? '127.0.0.1',
        port: options.port,
        ca: options.ca,
        servername: 'localhost',
        minVersion: 'TLSv1.3',
        ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      });
      socket.once('secureConnect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connect and log in; throws unless the server says welcome. */
  static async login(
    options: { port: number; ca: string; cert?: string; key?: string } & HelloOptions,
  ): Promise<RawClient> {
    const client = await RawClient.connect(options);
    const reply = await client.hello(options);
    if (reply.kind !== 'welcome') {
      client.destroy();
      throw new Error(`login refused: ${reply.code}`);
    }
    return client;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendFrame(payload: Uint8Array | string): void {
    this.socket.write(encodeFrame(payload));
  }

  /** The next frame's payload, or null if the connection closes first. */
  async nextFrame(timeoutMs = 5_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closedFlag) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.shift() as Buffer;
  }

  /** True if the server closes within the time, without sending another frame first. */
  async closesSilently(timeoutMs = 5_000): Promise<boolean> {
    const frame = await this.nextFrame(timeoutMs).catch(() => 'timeout' as const);
    return frame === null;
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  async hello(options: HelloOptions): Promise<HelloReply> {
    const eph = generateX25519KeyPair();
    const clientNonce = randomBytes(32);
    const hello = {
      type: 'hello',
      protocol: PROTOCOL_ID,
      clientNonce: toB64(clientNonce),
      clientKey: toB64(eph.publicKey),
      ...(options.terminal ? { terminal: options.terminal } : {}),
      auth: {
        method: options.method ?? 'password',
        user: options.user,
        password: options.password,
        ...(options.totp ? { totp: options.totp } : {}),
      },
    };
    const helloBytes = Buffer.from(JSON.stringify(hello));
    this.sendFrame(helloBytes);
    const reply = await this.nextFrame();
    if (!reply) throw new Error('connection closed before welcome');
    const parsed = parseHandshakeReply(reply);
    if (!parsed.ok) throw new Error(`bad handshake reply: ${parsed.error.message}`);
    if (parsed.value.kind === 'error') {
      const { code, message, retryAfterMs } = parsed.value.error;
      return { kind: 'error', code, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    const w = parsed.value.welcome;
    const keys = completeKeyExchange(eph.secretKey, w.serverKey, {
      clientNonce,
      serverNonce: w.serverNonce,
      helloBytes,
      welcomeBytes: reply,
    });
    if (!keys.ok) throw new Error(keys.error.message);
    this.keys = keys.value;
    this.sessionId = w.sessionId;
    this.channel = new SealedChannel('client', keys.value, w.sessionId);
    return { kind: 'welcome', welcome: w.message as unknown as Record<string, unknown> };
  }

  /** Sealed envelope bytes for a message (advances the seq). */
  seal(message: unknown): Buffer {
    if (!this.channel) throw new Error('not logged in');
    const sealed = this.channel.sealMessage(message);
    if (!sealed.ok) throw new Error(sealed.error.message);
    return sealed.value;
  }

  /** Send a request; returns its id. */
  send(body: Record<string, unknown>): string {
    const id = typeof body.id === 'string' ? body.id : randomUUID();
    this.sendFrame(this.seal({ id, ...body }));
    return id;
  }

  /** The next sealed message from the server, opened and parsed; null if the connection closed. */
  async receive(timeoutMs = 5_000): Promise<Record<string, unknown> | null> {
    const frame = await this.nextFrame(timeoutMs);
    if (!frame) return null;
    if (!this.channel) throw new Error('not logged in');
    const opened = this.channel.open(frame);
    if (!opened.ok) throw new Error(`server frame failed to open: ${opened.error.code}`);
    const message = parseJsonObject(opened.value);
    if (!message) throw new Error('server message is not JSON');
    return message;
  }

  /** Send one request and wait for its response. */
  async call(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.send(body);
    const response = await this.receive();
    if (!response) throw new Error(`connection closed before the response to ${String(body.op)}`);
    if (response.id !== id)
      throw new Error(
        `response id ${String(response.id)} does not match ${id}: ${JSON.stringify(response).slice(0, 200)}`,
      );
    return response;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
