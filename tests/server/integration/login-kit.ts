import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { AuditEventInput, AuditSink } from '../../../audit/index.js';
import { encodeFrame, FrameDecoder, generateX25519KeyPair, PROTOCOL_ID, toB64 } from '../../../protocol/index.js';
import { buildBankServerProgram, openLedger } from '../../../server/index.js';
import { applyMutation, DEFAULT_LEDGER_CONFIG, enrollTerminal, findTerminal } from '../../../server/ledger/index.js';

/** An audit sink that keeps every event in memory, for tests that count what was audited. */
export class MemoryAudit implements AuditSink {
  readonly events: AuditEventInput[] = [];
  record(event: AuditEventInput): void {
    this.events.push(event);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  of(kind: string): AuditEventInput[] {
    return this.events.filter((e) => e.kind === kind);
  }
}

export interface RawHello {
  user: string;
  password: string;
  method?: 'password' | 'register';
  totp?: string;
  clientKey?: Uint8Array;
}

export function helloFrame(options: RawHello): Buffer {
  const clientKey = options.clientKey ?? generateX25519KeyPair().publicKey;
  return encodeFrame(
    JSON.stringify({
      type: 'hello',
      protocol: PROTOCOL_ID,
      clientNonce: toB64(randomBytes(32)),
      clientKey: toB64(clientKey),
      auth: {
        method: options.method ?? 'password',
        user: options.user,
        password: options.password,
        ...(options.totp ? { totp: options.totp } : {}),
      },
    }),
  );
}

export interface HelloAnswer {
  type: string;
  code?: string;
  retryAfterMs?: number;
  reason?: string;
  ms: number;
}

/**
 * Connect (optionally from `localAddress`, any of 127.0.0.0/8), send one hello and return the
 * server's first frame with how long it took, or with `hangUp` close the socket right after
 * sending and return null.
 */
export function sendHello(
  bank: { port: number; caCert: string },
  hello: RawHello,
  options: { localAddress?: string; hangUp?: boolean; timeoutMs?: number } = {},
): Promise<HelloAnswer | null> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({
      host: '127.0.0.1',
      port: bank.port,
      ca: bank.caCert,
      servername: 'localhost',
      minVersion: 'TLSv1.3',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ type: 'timeout', ms: performance.now() - started });
    }, options.timeoutMs ?? 15_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (options.hangUp) resolve(null);
      else reject(err);
    });
    socket.once('secureConnect', () => {
      socket.write(helloFrame(hello));
      if (options.hangUp) {
        clearTimeout(timer);
        socket.destroy();
        resolve(null);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      const { frames } = decoder.push(chunk);
      const first = frames[0];
      if (!first) return;
      clearTimeout(timer);
      socket.destroy();
      const parsed = JSON.parse(first.toString()) as Omit<HelloAnswer, 'ms'>;
      resolve({ ...parsed, ms: performance.now() - started });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ type: 'closed', ms: performance.now() - started });
    });
  });
}

/** The error code of a hello's answer ('welcome' for a welcome). */
export async function helloCode(bank: { port: number; caCert: string }, hello: RawHello): Promise<string> {
  const answer = await sendHello(bank, hello);
  if (!answer) return 'hung-up';
  return answer.type === 'welcome' ? 'welcome' : (answer.code ?? answer.type);
}

/** Wait until `check` holds (polling), or throw after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FUNDING_TERMINAL = { id: 'ATM-FUNDING', fingerprint: 'TEST:FUNDING' };

/** Put money on an account the way the ledger does (a deposit applied by the writer's rules). */
export function fund(bank: { dataDir: string }, user: string, amountCents: number): void {
  const store = openLedger(join(bank.dataDir, 'ledger.db'));
  try {
    const account = store.findAccount(user);
    if (!account) throw new Error(`no account ${user}`);
    // Cash comes in at an enrolled terminal (protocol/README.md §5.1): a funding one, enrolled on first use.
    if (!findTerminal(store, FUNDING_TERMINAL.id)) {
      enrollTerminal(store, { ...FUNDING_TERMINAL, nowIso: new Date().toISOString() });
    }
    const outcome = applyMutation(
      store,
      { accountId: account.id, user, nowMs: Date.now(), config: DEFAULT_LEDGER_CONFIG, terminal: FUNDING_TERMINAL },
      { id: `fund-${randomBytes(6).toString('hex')}`, op: 'deposit', amountCents },
    );
    if (!outcome.ok) throw new Error(`funding failed: ${outcome.code}`);
  } finally {
    store.close();
  }
}

/** Run `bank-server <args> --data-dir <bank's>` in-process, as an operator would. */
export async function operator(bank: { dataDir: string }, ...args: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = buildBankServerProgram({ out: (l) => out.push(l), err: (l) => out.push(l), env: {} });
  await program.parseAsync(['node', 'bank-server', ...args, '--data-dir', bank.dataDir]);
  return out;
}
