import { readdir, readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { readAuditorSecretKey, type VerifyReport, verifySegments } from '../../audit/index.js';
import {
  encodeFrame,
  FrameDecoder,
  generateX25519KeyPair,
  type HistoryEntry,
  PROTOCOL_ID,
  toB64,
} from '../../protocol/index.js';
import type { RawClient } from '../helpers/raw-client.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { BIN, runCli } from '../helpers/spawn-server.js';

export { seededRandom };

/** A password every fire suite uses: it meets the policy, so registration accepts it. */
export const FIRE_PASSWORD = 'Fire-Proof-Pass-42!';

/**
 * The seed of a suite: FIRE_SEED from the environment (to replay a failure) or a fresh one.
 * Every assertion that depends on it names it, so a failure prints what to replay.
 */
export function fireSeed(): number {
  const fromEnv = Number(process.env.FIRE_SEED);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1 + Math.floor(Math.random() * 2 ** 31);
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process in bytes (Linux /proc), or null when it has gone. */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** p-th percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length - 1e-9) - 1));
  return sorted[rank] as number;
}

/** `bank-server ledger verify --data-dir <dir>` as an operator runs it (needs `npm run build`). */
export async function ledgerVerifyCli(dataDir: string): Promise<{ code: number | null; output: string }> {
  const run = await runCli(BIN.bankServer, ['ledger', 'verify', '--data-dir', dataDir]);
  return { code: run.code, output: `${run.stdout}${run.stderr}`.trim() };
}

/** Every encrypted segment of a data dir, in writing (name) order. */
export async function segmentPaths(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'audit', 'segments');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.enc')).sort();
  return names.map((n) => join(dir, n));
}

/** Verify a data dir's whole audit trail with the (demo) auditor key beside it, plaintext log included. */
export async function verifyAuditTrail(dataDir: string): Promise<VerifyReport> {
  const key = await readAuditorSecretKey(join(dataDir, 'keys', 'auditor.key'));
  try {
    return await verifySegments(await segmentPaths(dataDir), {
      auditorSecretKey: key,
      plaintextLog: join(dataDir, 'audit', 'audit.log'),
    });
  } finally {
    key.fill(0);
  }
}

/** Walk an account's whole history (newest first, as the server pages it). */
export async function fullHistory(client: RawClient): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  let before: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const response = await client.call({ op: 'history', limit: 100, ...(before ? { before } : {}) });
    if (response.ok !== true) throw new Error(`history refused: ${JSON.stringify(response.error)}`);
    const result = response.result as { entries: HistoryEntry[]; next: string | null };
    entries.push(...result.entries);
    if (result.next === null) return entries;
    before = result.next;
  }
  throw new Error('history did not end');
}

/**
 * A history (newest first) against the balance: oldest to newest, each entry's balance after is
 * the previous one plus its amount, starting from 0, ending at the balance; no balance below 0.
 * Returns the first inconsistency, or null.
 */
export function historyFault(entries: readonly HistoryEntry[], balanceCents: number): string | null {
  let running = 0;
  const seen = new Set<string>();
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as HistoryEntry;
    if (seen.has(entry.txId)) return `txId ${entry.txId} appears twice`;
    seen.add(entry.txId);
    running += entry.amountCents;
    if (entry.balanceAfterCents !== running) {
      return `${entry.txId} (${entry.kind} ${entry.amountCents}) says balance after ${entry.balanceAfterCents}, the chain says ${running}`;
    }
    if (running < 0) return `${entry.txId} leaves a negative balance ${running}`;
  }
  if (running !== balanceCents) return `history ends at ${running} but the balance is ${balanceCents}`;
  return null;
}

export function balanceOf(response: Record<string, unknown>): number {
  if (response.ok !== true) throw new Error(`balance refused: ${JSON.stringify(response.error)}`);
  return (response.result as { balanceCents: number }).balanceCents;
}

/** A plaintext hello (valid or not), as the bytes of one frame's payload. */
export function helloPayload(auth: { user: string; password: string; method?: 'password' | 'register' }): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: 'hello',
      protocol: PROTOCOL_ID,
      clientNonce: toB64(Buffer.alloc(32, 7)),
      clientKey: toB64(generateX25519KeyPair().publicKey),
      auth: { method: auth.method ?? 'password', user: auth.user, password: auth.password },
    }),
  );
}

/**
 * A bare TLS connection from a chosen loopback source address (127.0.0.x), so a test can play
 * an attacker whose address limits do not touch the control client's 127.0.0.1. Frames it
 * receives are collected; `closed` says when the server hung up.
 */
export class LoopbackPeer {
  readonly frames: Buffer[] = [];
  private readonly decoder = new FrameDecoder();
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    this.whenClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.whenClosed.then(() => {
      this.closed = true;
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.frames.push(...this.decoder.push(chunk).frames));
  }

  /** The TCP socket under the TLS one, to reset it (RST) like a crashed peer. */
  tcp: Socket | null = null;

  static open(options: { port: number; ca: string; from: string }): Promise<LoopbackPeer> {
    return new Promise((resolve, reject) => {
      const tcp = netConnect({ host: '127.0.0.1', port: options.port, localAddress: options.from });
      tcp.on('error', () => {});
      const socket = connect({ socket: tcp, ca: options.ca, servername: 'localhost', minVersion: 'TLSv1.3' });
      socket.once('secureConnect', () => {
        const peer = new LoopbackPeer(socket);
        peer.tcp = tcp;
        resolve(peer);
      });
      socket.once('error', reject);
    });
  }

  sendFrame(payload: Uint8Array | string): void {
    this.socket.write(encodeFrame(payload));
  }

  /** The first frame's JSON, waiting for it or for the close (then null). */
  async firstFrame(timeoutMs = 10_000): Promise<Record<string, unknown> | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error('no frame and no close in time');
      await sleep(5);
    }
    const frame = this.frames[0];
    return frame ? (JSON.parse(frame.toString('utf8')) as Record<string, unknown>) : null;
  }

  /** True when the server closes the connection within the time. */
  async closesWithin(ms: number): Promise<boolean> {
    return Promise.race([this.whenClosed.then(() => true), sleep(ms).then(() => false)]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Error code of a plaintext error frame (pre-welcome), or null. */
export function errorCodeOf(frame: Record<string, unknown> | null): string | null {
  return frame && frame.type === 'error' && typeof frame.code === 'string' ? frame.code : null;
}

/** Admin /status of a running server (connections, sessions, requestsServed, rssBytes...). */
export async function adminStatus(adminPort: number): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/status`);
  return (await response.json()) as Record<string, unknown>;
}
