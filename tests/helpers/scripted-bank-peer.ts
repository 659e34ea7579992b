import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import {
  completeKeyExchange,
  encodeFrame,
  FrameDecoder,
  generateX25519KeyPair,
  type HelloMessage,
  HISTORY_LIMIT_DEFAULT,
  type HistoryEntry,
  IDEMPOTENT_OPS,
  isStrongPassword,
  NONCE_BYTES,
  PROTOCOL_ID,
  parseHello,
  parseRequest,
  type Request,
  SESSION_ID_BYTES,
  SealedChannel,
  toB64,
  type WireErrorCode,
  wipeSessionKeys,
} from '../../protocol/index.js';
import { issueServerCertificate } from '../../server/tls/issue-certificates.js';

/**
 * A stand-in bank for client tests: a real TLS 1.3 listener on port 0 that speaks the server
 * side of secure-atm/1 with protocol/ only, backed by a tiny in-memory bank (balances,
 * idempotent ids, history). Hooks let a test answer, hold, drop, tamper or send notices.
 */

const KEY_OPTIONS = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

export interface TestPki {
  /** The CA that signed the peer's certificate. */
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A different CA that did not sign anything the peer presents. */
  otherCaPem: string;
}

async function makeCa(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    ...KEY_OPTIONS,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A throwaway CA, a localhost / 127.0.0.1 / ::1 certificate it signed, and an unrelated CA. */
export async function makeTestPki(): Promise<TestPki> {
  const ca = await makeCa('scripted-peer test CA');
  const other = await makeCa('some other CA');
  // The same leaf the server issues itself (localhost, 127.0.0.1, ::1), from the throwaway CA.
  const leaf = await issueServerCertificate(ca, new Date());
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.key, otherCaPem: other.cert };
}

// ---------------------------------------------------------------------------------------
// The in-memory bank
// ---------------------------------------------------------------------------------------

export type PeerResponse =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; error: { code: WireErrorCode; message: string } };

interface Withdrawal {
  amountCents: number;
  reversed: boolean;
}

export interface MiniAccount {
  user: string;
  password: string;
  balanceCents: number;
  /** Newest last. */
  entries: HistoryEntry[];
  applied: Map<string, { params: string; response: PeerResponse }>;
  withdrawals: Map<string, Withdrawal>;
  email?: string;
  phone?: string;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(IDEMPOTENT_OPS);

function err(code: WireErrorCode, message: string = code): PeerResponse {
  return { ok: false, error: { code, message } };
}

/** Just enough bank for the client's tests: rules as in protocol/README.md §5, no persistence. */
export class MiniBank {
  readonly accounts = new Map<string, MiniAccount>();
  allowRegistration = true;
  currency = 'EUR';
  private nextTx = 1;

  addAccount(user: string, password: string, balanceCents = 0): MiniAccount {
    const account: MiniAccount = {
      user,
      password,
      balanceCents,
      entries: [],
      applied: new Map(),
      withdrawals: new Map(),
    };
    this.accounts.set(user, account);
    return account;
  }

  authenticate(hello: HelloMessage): { ok: true } | { ok: false; code: WireErrorCode } {
    const { method, user, password } = hello.auth;
    if (method === 'register') {
      if (!this.allowRegistration) return { ok: false, code: 'REGISTRATION_CLOSED' };
      if (this.accounts.has(user)) return { ok: false, code: 'USER_EXISTS' };
      if (!isStrongPassword(password)) return { ok: false, code: 'WEAK_PASSWORD' };
      this.addAccount(user, password);
      return { ok: true };
    }
    const account = this.accounts.get(user);
    if (!account || account.password !== password) return { ok: false, code: 'AUTH_FAILED' };
    return { ok: true };
  }

  /** Applies a request for `user`, with the at-most-once rule for idempotent ops. */
  handle(user: string, request: Request): PeerResponse {
    const account = this.accounts.get(user);
    if (!account) return err('INTERNAL');
    if (!IDEMPOTENT.has(request.op)) return this.apply(account, request);
    const { id, ...rest } = request;
    const params = JSON.stringify(rest);
    const earlier = account.applied.get(id);
    if (earlier) {
      if (earlier.params !== params) return err('IDEMPOTENCY_CONFLICT');
      if (!earlier.response.ok) return earlier.response;
      return { ok: true, result: { ...earlier.response.result, replayed: true } };
    }
    const response = this.apply(account, request);
    if (response.ok) account.applied.set(id, { params, response });
    return response;
  }

  private txId(): string {
    return `T${String(this.nextTx++).padStart(12, '0')}`;
  }

  private move(
    account: MiniAccount,
    entry: Omit<HistoryEntry, 'txId' | 'balanceAfterCents' | 'at'>,
    txId = this.txId(),
  ): string {
    account.balanceCents += entry.amountCents;
    account.entries.push({
      ...entry,
      txId,
      balanceAfterCents: account.balanceCents,
      at: new Date().toISOString(),
    });
    return txId;
  }

  private apply(account: MiniAccount, request: Request): PeerResponse {
    switch (request.op) {
      case 'balance':
        return {
          ok: true,
          result: {
            balanceCents: account.balanceCents,
            currency: this.currency,
            dailyWithdrawalRemainingCents: 200_000,
            maxAmountCents: 100_000_000,
            twoFactor: false,
          },
        };
      case 'deposit': {
        const txId = this.move(account, { kind: 'deposit', amountCents: request.amountCents, counterparty: null });
        return { ok: true, result: { balanceCents: account.balanceCents, txId } };
      }
      case 'withdraw': {
        if (request.amountCents > account.balanceCents) return err('INSUFFICIENT_FUNDS', 'balance too low');
        const txId = this.move(account, { kind: 'withdrawal', amountCents: -request.amountCents, counterparty: null });
        account.withdrawals.set(txId, { amountCents: request.amountCents, reversed: false });
        return { ok: true, result: { balanceCents: account.balanceCents, txId } };
      }
      case 'transfer': {
        const target = this.accounts.get(request.to);
        if (!target) return err('UNKNOWN_ACCOUNT');
        if (target === account) return err('SAME_ACCOUNT');
        if (request.amountCents > account.balanceCents) return err('INSUFFICIENT_FUNDS', 'balance too low');
        const txId = this.move(account, {
          kind: 'transfer_out',
          amountCents: -request.amountCents,
          counterparty: target.user,
        });
        this.move(target, { kind: 'transfer_in', amountCents: request.amountCents, counterparty: account.user }, txId);
        return { ok: true, result: { balanceCents: account.balanceCents, txId } };
      }
      case 'reverse': {
        const withdrawal = account.withdrawals.get(request.txId);
        if (!withdrawal) return err('UNKNOWN_TX');
        if (withdrawal.reversed) return err('NOT_REVERSIBLE');
        withdrawal.reversed = true;
        const txId = this.move(account, { kind: 'reversal', amountCents: withdrawal.amountCents, counterparty: null });
        return { ok: true, result: { balanceCents: account.balanceCents, txId, reversedTxId: request.txId } };
      }
      case 'history': {
        const newestFirst = [...account.entries].reverse();
        const start = request.before ? newestFirst.findIndex((e) => e.txId === request.before) + 1 : 0;
        const limit = request.limit ?? HISTORY_LIMIT_DEFAULT;
        const page = newestFirst.slice(start, start + limit);
        const more = start + limit < newestFirst.length;
        return { ok: true, result: { entries: page, next: more ? (page.at(-1)?.txId ?? null) : null } };
      }
      case 'change_password':
        if (request.current !== account.password) return err('AUTH_FAILED');
        if (!isStrongPassword(request.new)) return err('WEAK_PASSWORD');
        account.password = request.new;
        return { ok: true, result: {} };
      case 'update_contact':
        if (request.email !== undefined) account.email = request.email;
        if (request.phone !== undefined) account.phone = request.phone;
        return { ok: true, result: {} };
      case 'totp_enroll':
        return {
          ok: true,
          result: {
            otpauthUri: `otpauth://totp/secure-atm:${account.user}?secret=JBSWY3DPEHPK3PXP`,
            secret: 'JBSWY3DPEHPK3PXP',
          },
        };
      case 'totp_confirm':
        return request.code === '123456' ? { ok: true, result: {} } : err('TOTP_INVALID');
      case 'logout':
        return { ok: true, result: {} };
      case 'ping':
        return { ok: true, result: { serverTime: new Date().toISOString() } };
      case 'totp_disable':
        return { ok: true, result: {} };
      case 'serve':
      case 'release':
      case 'open_account':
        return err('INVALID_REQUEST');
    }
  }
}

// ---------------------------------------------------------------------------------------
// The peer
// ---------------------------------------------------------------------------------------

/** What a request hook decides; `undefined` means "let the mini bank answer". */
export type PeerAction =
  | { kind: 'respond'; response: PeerResponse }
  /** Let the bank apply the request, then cut the connection without answering. */
  | { kind: 'apply-then-drop' }
  /** Cut the connection without applying or answering. */
  | { kind: 'drop' }
  /** Never answer (the client's timeout must fire). */
  | { kind: 'ignore' }
  /** Let the bank apply it but keep the answer until `connection.releaseHeld()`. */
  | { kind: 'hold' };

export interface PeerConnection {
  /** 0 for the first connection the peer accepted, then 1, 2, … */
  readonly index: number;
  readonly user: string;
  /** Seals and sends any message object (a response with any id, a notice, junk). */
  sendSealed(message: unknown): void;
  /** Sends a sealed frame whose mac has one bit flipped. */
  sendTampered(message: unknown): void;
  /** Sends raw frame payload bytes (not sealed). */
  sendRawPayload(payload: Buffer | string): void;
  /** Writes raw bytes to the TLS stream (e.g. a bad length prefix). */
  writeRaw(bytes: Buffer): void;
  releaseHeld(): void;
  destroy(): void;
}

export interface SeenRequest {
  connection: number;
  request: Request;
}

export interface PeerHooks {
  /**
   * Decide the handshake answer: an error to refuse, `welcomeUser` to welcome under another
   * name (a broken server). Default: the mini bank's rules.
   */
  onHello?(
    hello: HelloMessage,
    index: number,
  ): { error: WireErrorCode; message?: string; retryAfterMs?: number } | { welcomeUser: string } | undefined;
  /** Called after `welcome` went out. */
  onOpen?(connection: PeerConnection): void;
  onRequest?(request: Request, connection: PeerConnection): PeerAction | undefined;
}

export interface ScriptedBankPeer {
  readonly port: number;
  readonly pki: TestPki;
  readonly bank: MiniBank;
  /** Every hello received (test-only: they carry passwords). */
  readonly hellos: HelloMessage[];
  /** Every request received, with the index of the connection it came on. */
  readonly requests: SeenRequest[];
  /** Raw envelope payloads received after welcome (to check they are sealed). */
  readonly rawFrames: Buffer[];
  /** How many TLS connections were accepted. */
  connectionCount(): number;
  hooks: PeerHooks;
  close(): Promise<void>;
}

export async function startScriptedBankPeer(pki: TestPki, hooks: PeerHooks = {}): Promise<ScriptedBankPeer> {
  const bank = new MiniBank();
  const hellos: HelloMessage[] = [];
  const requests: SeenRequest[] = [];
  const rawFrames: Buffer[] = [];
  const sockets = new Set<TLSSocket>();
  let accepted = 0;
  const peer: { hooks: PeerHooks } = { hooks };

  const server: Server = createServer({ key: pki.keyPem, cert: pki.certPem, minVersion: 'TLSv1.3' }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    serveConnection(socket, accepted++);
  });
  server.on('tlsClientError', () => {});

  function serveConnection(socket: TLSSocket, index: number): void {
    const decoder = new FrameDecoder();
    let channel: SealedChannel | null = null;
    let user = '';
    const held: PeerResponse[] = [];
    const heldIds: string[] = [];

    const connection: PeerConnection = {
      index,
      get user() {
        return user;
      },
      sendSealed(message) {
        if (!channel || socket.destroyed) return;
        const sealed = channel.sealMessage(message);
        if (sealed.ok) socket.write(encodeFrame(sealed.value));
      },
      sendTampered(message) {
        if (!channel || socket.destroyed) return;
        const sealed = channel.sealer.sealEnvelope(JSON.stringify(message));
        if (!sealed.ok) return;
        const mac = Buffer.from(sealed.value.mac, 'base64');
        mac[0] = (mac[0] ?? 0) ^ 1;
        socket.write(encodeFrame(JSON.stringify({ ...sealed.value, mac: mac.toString('base64') })));
      },
      sendRawPayload(payload) {
        socket.write(encodeFrame(payload));
      },
      writeRaw(bytes) {
        socket.write(bytes);
      },
      releaseHeld() {
        while (held.length > 0) {
          const response = held.shift();
          const id = heldIds.shift();
          if (response) connection.sendSealed({ id, ...response });
        }
      },
      destroy() {
        socket.destroy();
      },
    };

    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = decoder.push(chunk);
      if (error) {
        socket.destroy();
        return;
      }
      for (const payload of frames) {
        if (socket.destroyed) return;
        if (!channel) handshake(payload);
        else onSealed(payload);
      }
    });

    function handshake(helloBytes: Buffer): void {
      const hello = parseHello(helloBytes);
      if (!hello.ok) {
        refuse('PROTOCOL_ERROR', hello.error.message);
        return;
      }
      hellos.push(hello.value.message);
      const custom = peer.hooks.onHello?.(hello.value.message, index);
      if (custom && 'error' in custom) {
        refuse(custom.error, custom.message ?? custom.error, custom.retryAfterMs);
        return;
      }
      const auth = bank.authenticate(hello.value.message);
      if (!auth.ok) {
        refuse(auth.code, auth.code);
        return;
      }
      user = custom?.welcomeUser ?? hello.value.message.auth.user;
      const serverKeys = generateX25519KeyPair();
      const serverNonce = randomBytes(NONCE_BYTES);
      const sessionId = randomBytes(SESSION_ID_BYTES);
      const welcomeBytes = Buffer.from(
        JSON.stringify({
          type: 'welcome',
          protocol: PROTOCOL_ID,
          serverNonce: toB64(serverNonce),
          serverKey: toB64(serverKeys.publicKey),
          sessionId: toB64(sessionId),
          user,
          idleTimeoutSec: 300,
        }),
      );
      const keys = completeKeyExchange(serverKeys.secretKey, hello.value.clientKey, {
        clientNonce: hello.value.clientNonce,
        serverNonce,
        helloBytes,
        welcomeBytes,
      });
      if (!keys.ok) {
        socket.destroy();
        return;
      }
      channel = new SealedChannel('server', keys.value, sessionId);
      wipeSessionKeys(keys.value);
      socket.write(encodeFrame(welcomeBytes));
      peer.hooks.onOpen?.(connection);
    }

    function refuse(code: WireErrorCode, message: string, retryAfterMs?: number): void {
      const details = retryAfterMs === undefined ? {} : { retryAfterMs };
      socket.end(encodeFrame(JSON.stringify({ type: 'error', code, message, ...details })));
    }

    function onSealed(payload: Buffer): void {
      rawFrames.push(payload);
      const plain = channel?.open(payload);
      if (!plain?.ok) {
        socket.destroy();
        return;
      }
      const parsed = parseRequest(plain.value);
      if (!parsed.ok) {
        connection.sendSealed({ id: parsed.error.id, ok: false, error: { ...parsed.error.error } });
        return;
      }
      const request = parsed.value;
      requests.push({ connection: index, request });
      const action = peer.hooks.onRequest?.(request, connection);
      switch (action?.kind) {
        case 'respond':
          connection.sendSealed({ id: request.id, ...action.response });
          return;
        case 'apply-then-drop':
          bank.handle(user, request);
          socket.destroy();
          return;
        case 'drop':
          socket.destroy();
          return;
        case 'ignore':
          return;
        case 'hold':
          held.push(bank.handle(user, request));
          heldIds.push(request.id);
          return;
        default: {
          const response = bank.handle(user, request);
          connection.sendSealed({ id: request.id, ...response });
          if (request.op === 'logout') socket.end();
        }
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    pki,
    bank,
    hellos,
    requests,
    rawFrames,
    connectionCount: () => accepted,
    get hooks() {
      return peer.hooks;
    },
    set hooks(next: PeerHooks) {
      peer.hooks = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
