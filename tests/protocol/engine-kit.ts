/**
 * Shared pieces for the engine tests: frames built by hand (u32be length + payload), the
 * vector key material, a fake clock, and feeding bytes whole or one byte at a time.
 */
import { SealedChannel, type SessionKeys } from '../../protocol/index.js';
import { hex, loadVectors } from '../helpers/vectors.js';

export const v = loadVectors();

/** `u32be(N) || payload`, written here without the codec under test. */
export function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export const vectorKeys = (): SessionKeys => ({
  c2sEnc: hex(v.keys.c2sEnc),
  c2sMac: hex(v.keys.c2sMac),
  s2cEnc: hex(v.keys.s2cEnc),
  s2cMac: hex(v.keys.s2cMac),
});

/** A client end of the vector session, to seal requests and open the server's frames. */
export const vectorClient = (): SealedChannel => new SealedChannel('client', vectorKeys(), hex(v.sessionId));

export const clientKeyPair = () => ({ publicKey: hex(v.x25519.clientPublic), secretKey: hex(v.x25519.clientSecret) });
export const serverKeyPair = () => ({ publicKey: hex(v.x25519.serverPublic), secretKey: hex(v.x25519.serverSecret) });

/** Random bytes as the vector server drew them: the nonce (32), then the session id (16). */
export function vectorRandom(): (bytes: number) => Buffer {
  return (bytes) => {
    if (bytes === 32) return hex(v.serverNonce);
    if (bytes === 16) return hex(v.sessionId);
    throw new Error(`unexpected random(${bytes})`);
  };
}

export class FakeClock {
  constructor(public t = 1_000_000) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Feed `bytes` whole, or split into single bytes, collecting every action. */
export function feed<A>(receive: (chunk: Buffer) => A[], bytes: Buffer, split: 'whole' | 'bytewise'): A[] {
  if (split === 'whole') return receive(bytes);
  const actions: A[] = [];
  for (let i = 0; i < bytes.length; i++) actions.push(...receive(bytes.subarray(i, i + 1)));
  return actions;
}

/** Actions as comparable plain data (Buffers as hex). */
export function plain(actions: readonly unknown[]): unknown {
  return JSON.parse(
    JSON.stringify(actions, (_key, value: unknown) =>
      value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer'
        ? Buffer.from((value as { data: number[] }).data).toString('hex')
        : value,
    ),
  );
}
