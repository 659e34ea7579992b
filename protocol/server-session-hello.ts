/**
 * The server's side of the handshake as pure steps (protocol/README.md §1.1, §2, §3): what the
 * terminal certificate allows `hello.terminal` to say, the key exchange checked before any
 * password work, and the welcome with the session keys derived from the bytes as sent.
 */
import { randomBytes } from 'node:crypto';
import { NONCE_BYTES, SESSION_ID_BYTES } from './constants.js';
import { ok, type Result, type WireErrorCode } from './errors.js';
import { encodeWelcome, parseHello } from './handshake-messages.js';
import {
  deriveSessionKeys,
  generateX25519KeyPair,
  wipeSessionKeys,
  type X25519KeyPair,
  x25519,
} from './key-schedule.js';
import type { ParsedHello, Role } from './message-types.js';
import { SealedChannel } from './sealed-channel.js';

/** What the TLS client certificate made of a connection (§1.1). */
export type TerminalCertificate =
  | { kind: 'remote' }
  | { kind: 'terminal'; id: string }
  | { kind: 'refused'; reason: string; id: string | null };

/**
 * `hello.terminal` may only repeat what the certificate says: equal to the CN in a terminal
 * session, absent in a remote one. Returns why it does not, or null.
 */
export function helloTerminalProblem(
  certificate: TerminalCertificate,
  helloTerminal: string | undefined,
): string | null {
  if (certificate.kind === 'terminal') {
    return helloTerminal === undefined || helloTerminal === certificate.id
      ? null
      : 'hello.terminal differs from the certificate';
  }
  if (certificate.kind === 'remote') {
    return helloTerminal === undefined ? null : 'hello.terminal without a terminal certificate';
  }
  return 'terminal certificate refused';
}

/** What a refused hello leaves in the audit log. */
export interface HelloRefusalAudit {
  kind: 'protocol_error' | 'terminal_refused';
  actor?: string;
  code: string;
  detail: Record<string, unknown>;
}

/** A refused first frame: the error frame's code (and message), and what the audit log records. */
export interface HelloRefusal {
  ok: false;
  code: WireErrorCode;
  message?: string;
  audit?: HelloRefusalAudit;
}

export type HelloRead = { ok: true; accepted: AcceptedHello } | HelloRefusal;

/** The terminal rule, with what the audit log records of a refusal (§1.1). */
export function terminalRefusal(reason: string, claimed: string | null): HelloRefusal {
  return {
    ok: false,
    code: 'TERMINAL_REFUSED',
    audit: { kind: 'terminal_refused', code: 'TERMINAL_REFUSED', detail: { reason, claimed } },
  };
}

/**
 * The first frame, checked in §2.1's order: the hello itself, what it says of the terminal, the
 * key exchange. Without a certificate verdict there are no terminal rules (tests and vectors).
 */
export function readHello(
  frame: Buffer,
  certificate: TerminalCertificate | undefined,
  keyPair?: () => X25519KeyPair,
): HelloRead {
  const parsed = parseHello(frame);
  if (!parsed.ok) {
    const code = parsed.error.code as WireErrorCode;
    const audit = { kind: 'protocol_error' as const, code, detail: { stage: 'hello', reason: parsed.error.message } };
    return { ok: false, code, ...(code === 'PROTOCOL_ERROR' ? { message: parsed.error.message } : {}), audit };
  }
  const { terminal, auth } = parsed.value.message;
  const problem = certificate ? helloTerminalProblem(certificate, terminal) : null;
  if (problem) return terminalRefusal(problem, terminal ?? null);
  const accepted = exchangeKeys(parsed.value, Buffer.from(frame), keyPair);
  if (!accepted.ok) {
    const detail = { stage: 'hello', reason: 'key exchange failed', method: auth.method };
    const audit = { kind: 'protocol_error' as const, actor: auth.user, code: 'PROTOCOL_ERROR', detail };
    return { ok: false, code: 'PROTOCOL_ERROR', message: 'key exchange failed', audit };
  }
  return { ok: true, accepted: accepted.value };
}

/** A hello whose key exchange worked: what the welcome needs once the password is checked. */
export interface AcceptedHello {
  hello: ParsedHello;
  /** The payload as it crossed the wire (hashed into the keys); holds the password. */
  helloBytes: Buffer;
  serverKey: Buffer;
  shared: Buffer;
}

/**
 * Everything in hello is checked before the password (§2.1): a client key that yields no shared
 * secret fails here, so it costs no password work and no lockout count.
 */
export function exchangeKeys(
  hello: ParsedHello,
  helloBytes: Buffer,
  keyPair: () => X25519KeyPair = generateX25519KeyPair,
): Result<AcceptedHello> {
  const ephemeral = keyPair();
  const shared = x25519(ephemeral.secretKey, hello.clientKey);
  ephemeral.secretKey.fill(0);
  if (!shared.ok) return shared;
  return ok({ hello, helloBytes, serverKey: ephemeral.publicKey, shared: shared.value });
}

export interface OpenedSession {
  welcome: Buffer;
  channel: SealedChannel;
  sessionId: Buffer;
}

/** The welcome and the server's sealed channel; wipes the shared secret and the derived keys. */
export function openSession(
  accepted: AcceptedHello,
  fields: { user: string; role: Role | undefined; idleTimeoutSec: number },
  random: (bytes: number) => Uint8Array = randomBytes,
): OpenedSession {
  const serverNonce = Buffer.from(random(NONCE_BYTES));
  const sessionId = Buffer.from(random(SESSION_ID_BYTES));
  const welcome = encodeWelcome({ serverNonce, serverKey: accepted.serverKey, sessionId, ...fields });
  const keys = deriveSessionKeys({
    shared: accepted.shared,
    clientNonce: accepted.hello.clientNonce,
    serverNonce,
    helloBytes: accepted.helloBytes,
    welcomeBytes: welcome,
  });
  accepted.shared.fill(0);
  const channel = new SealedChannel('server', keys, sessionId);
  wipeSessionKeys(keys);
  return { welcome, channel, sessionId };
}

/** The hello holds the password, the shared secret the session's keys. */
export function wipeAcceptedHello(accepted: AcceptedHello): void {
  accepted.helloBytes.fill(0);
  accepted.shared.fill(0);
}
