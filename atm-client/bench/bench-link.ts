import { connect, type TLSSocket } from 'node:tls';
import { FrameDecoder } from '../../protocol/index.js';

export interface LinkTarget {
  host: string;
  port: number;
  /** CA certificate PEM. */
  ca: string | Buffer;
  /** A terminal certificate and key (PEM), for sessions that move cash. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
}

/**
 * The load client's connection: TLS 1.3, length-prefixed frames, strict request/response (one
 * frame out, wait for one frame back). It is the same for the raw echo baseline and the full
 * system, so the two runs differ only in what the server does with a frame.
 */
export class BenchLink {
  private readonly decoder = new FrameDecoder();
  private readonly early: Buffer[] = [];
  private pending: { resolve: (payload: Buffer) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  bytesOut = 0;
  bytesIn = 0;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(target: LinkTarget): Promise<BenchLink> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: target.host,
        port: target.port,
        ca: target.ca,
        servername: 'localhost',
        minVersion: 'TLSv1.3',
        ...(target.cert === undefined || target.key === undefined ? {} : { cert: target.cert, key: target.key }),
      });
      socket.once('secureConnect', () => {
        socket.removeListener('error', reject);
        socket.setNoDelay(true);
        resolve(new BenchLink(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Write one whole frame (header included) and resolve with the payload of the next frame back. */
  roundTrip(frame: Uint8Array): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('strict request/response: a request is already in flight'));
    const early = this.early.shift();
    if (early) return Promise.reject(new Error('a frame arrived that nobody asked for'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.bytesOut += frame.length;
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      const pending = this.pending;
      if (pending) {
        this.pending = null;
        pending.resolve(frame);
      } else this.early.push(frame);
    }
    if (error) {
      this.fail(error);
      this.socket.destroy();
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(this.failure);
  }
}
