import { describe, expect, it } from 'vitest';
import {
  MAX_EARLY_FRAMES,
  MAX_QUEUED_OUTPUT_BYTES,
  type ServerSessionAction,
  ServerSessionEngine,
  type ServerSessionOptions,
  type TerminalCertificate,
} from '../../protocol/index.js';
import { FakeClock, feed, frame, plain, serverKeyPair, v, vectorClient, vectorRandom } from './engine-kit.js';

// The events a socket driver adds to the handshake and session of server-session-engine.test.ts:
// the terminal certificate (§1.1), the key exchange before the password (§2.1), the peer's
// half-close, the server ending a session now or at shutdown, output backpressure, and what an
// INVALID_AMOUNT answer says (§6). Expected bytes are hand-built JSON.

const HELLO = frame(v.helloUtf8);
const helloWith = (change: (hello: Record<string, unknown>) => void): Buffer => {
  const hello = JSON.parse(v.helloUtf8) as Record<string, unknown>;
  change(hello);
  return frame(JSON.stringify(hello));
};

function engine(options: Partial<ServerSessionOptions> = {}, clock = new FakeClock()): ServerSessionEngine {
  return new ServerSessionEngine({
    clock,
    idleTimeoutSec: 300,
    keyPair: serverKeyPair,
    random: vectorRandom(),
    ...options,
  });
}

/** hello, then a successful password check: the session is open. */
function opened(options: Partial<ServerSessionOptions> = {}): ServerSessionEngine {
  const e = engine(options);
  e.receive(HELLO);
  // No role: the vector welcome (revision 1) is what the vector keys were derived from.
  e.credentialsChecked({ ok: true, user: 'alice' });
  return e;
}

const types = (actions: ServerSessionAction[]) => actions.map((a) => a.type);
const sentJson = (actions: ServerSessionAction[]) =>
  actions.flatMap((a) => (a.type === 'send' ? [JSON.parse(a.payload.toString()) as unknown] : []));
const audits = (actions: ServerSessionAction[]) => actions.flatMap((a) => (a.type === 'audit' ? [a.event] : []));
const dispatches = (actions: ServerSessionAction[]) => actions.flatMap((a) => (a.type === 'dispatch' ? [a] : []));

/** Sealed request frames from the vector client, seq 0, 1, … */
function requests(...texts: string[]): Buffer[] {
  const client = vectorClient();
  return texts.map((text) => {
    const sealed = client.sealer.seal(text);
    if (!sealed.ok) throw sealed.error;
    return frame(sealed.value);
  });
}

describe('the terminal certificate decides first (§1.1, §2.1)', () => {
  const refused = { kind: 'refused', reason: 'certificate has expired', id: 'ATM-0001' } as const;

  it.each<[string, Buffer]>([
    ['a hello', HELLO],
    ['a zero length', Buffer.alloc(4)],
    ['garbage', frame('nope')],
  ])(
    'a refused certificate answers %s TERMINAL_REFUSED, audited with its reason, whole or byte by byte',
    (_n, bytes) => {
      const whole = engine({ certificate: refused });
      const actions = whole.receive(bytes);
      expect(audits(actions)).toEqual([
        {
          kind: 'terminal_refused',
          code: 'TERMINAL_REFUSED',
          detail: { reason: 'certificate has expired', claimed: 'ATM-0001' },
        },
      ]);
      expect(sentJson(actions)).toEqual([
        { type: 'error', code: 'TERMINAL_REFUSED', message: 'terminal certificate refused' },
      ]);
      expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
      const bytewise = engine({ certificate: refused });
      expect(plain(feed((c) => bytewise.receive(c), bytes, 'bytewise'))).toEqual(plain(actions));
    },
  );

  it.each<[string, TerminalCertificate, Buffer, string | null]>([
    ['hello.terminal equal to the certificate', { kind: 'terminal', id: 'ATM-0001' }, HELLO, null],
    [
      'no hello.terminal in a terminal session',
      { kind: 'terminal', id: 'ATM-0001' },
      helloWith((h) => delete h.terminal),
      null,
    ],
    ['no hello.terminal in a remote session', { kind: 'remote' }, helloWith((h) => delete h.terminal), null],
    ['another terminal', { kind: 'terminal', id: 'ATM-0002' }, HELLO, 'hello.terminal differs from the certificate'],
    ['a terminal without a certificate', { kind: 'remote' }, HELLO, 'hello.terminal without a terminal certificate'],
  ])('%s', (_n, certificate, hello, problem) => {
    const e = engine({ certificate });
    const actions = e.receive(hello);
    if (problem === null) {
      expect(types(actions)).toEqual(['checkCredentials']);
      return;
    }
    expect(audits(actions)).toEqual([
      { kind: 'terminal_refused', code: 'TERMINAL_REFUSED', detail: { reason: problem, claimed: 'ATM-0001' } },
    ]);
    expect(sentJson(actions)).toEqual([
      { type: 'error', code: 'TERMINAL_REFUSED', message: 'terminal certificate refused' },
    ]);
    expect(e.state).toBe('closing');
  });
});

describe('the handshake, before and after the password check', () => {
  it('a client key that yields no shared secret is refused before any password work, and audited with the user', () => {
    const e = engine();
    const actions = e.receive(helloWith((h) => (h.clientKey = Buffer.alloc(32).toString('base64'))));
    expect(types(actions)).not.toContain('checkCredentials');
    expect(audits(actions)).toEqual([
      {
        kind: 'protocol_error',
        actor: 'alice',
        code: 'PROTOCOL_ERROR',
        detail: { stage: 'hello', reason: 'key exchange failed', method: 'password' },
      },
    ]);
    expect(sentJson(actions)).toEqual([{ type: 'error', code: 'PROTOCOL_ERROR', message: 'key exchange failed' }]);
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
  });

  it.each<[string, Parameters<ServerSessionEngine['credentialsChecked']>[0], Record<string, unknown>]>([
    ['a used code', { ok: false, code: 'TOTP_INVALID', reason: 'USED' }, { code: 'TOTP_INVALID', reason: 'USED' }],
    ['a teller without a terminal', { ok: false, code: 'TERMINAL_REQUIRED' }, { code: 'TERMINAL_REQUIRED' }],
    [
      'a rate limit',
      { ok: false, code: 'RATE_LIMITED', retryAfterMs: 5000 },
      { code: 'RATE_LIMITED', retryAfterMs: 5000 },
    ],
  ])('a refused check (%s) is one error frame with its details, then close', (_n, outcome, expected) => {
    const e = engine();
    e.receive(HELLO);
    const actions = e.credentialsChecked(outcome);
    expect(sentJson(actions)).toEqual([expect.objectContaining({ type: 'error', ...expected })]);
    expect(types(actions)).toEqual(['send', 'close']);
  });

  it('the handshake deadline counts from startedAt (TCP accept), not from when the engine was made', () => {
    const clock = new FakeClock(50_000);
    const e = engine({ startedAt: 45_000 }, clock);
    expect(e.deadline).toBe(55_000);
    clock.advance(5_000);
    expect(audits(e.timeout()).map((a) => a.kind)).toEqual(['handshake_timeout']);
  });
});

describe('early frames: one chunk or many, the same outcome', () => {
  const early = requests('{"id":"e1","op":"ping"}', '{"id":"e2","op":"ping"}');
  const streams: Array<[string, Buffer]> = [
    ['a broken length after hello', Buffer.concat([HELLO, ...early, Buffer.alloc(4)])],
    [
      '33 frames after hello',
      Buffer.concat([HELLO, ...Array.from({ length: MAX_EARLY_FRAMES + 1 }, () => frame('{}'))]),
    ],
    ['hello and two requests', Buffer.concat([HELLO, ...early])],
  ];

  it.each(streams)('%s', (_n, stream) => {
    const whole = engine();
    const wholeActions = [...whole.receive(stream), ...whole.credentialsChecked({ ok: true, user: 'alice' })];
    const bytewise = engine();
    const bytewiseActions = [
      ...feed((c) => bytewise.receive(c), stream, 'bytewise'),
      ...bytewise.credentialsChecked({ ok: true, user: 'alice' }),
    ];
    expect(plain(bytewiseActions)).toEqual(plain(wholeActions));
    expect(bytewise.state).toBe(whole.state);
    if (whole.state === 'closing') {
      // Before welcome a broken frame is answered PROTOCOL_ERROR, and the login is not answered after.
      expect(sentJson(wholeActions)).toEqual([expect.objectContaining({ type: 'error', code: 'PROTOCOL_ERROR' })]);
      expect(audits(wholeActions)[0]).toMatchObject({ kind: 'protocol_error', detail: { stage: 'early' } });
    } else {
      expect(dispatches(wholeActions).map((d) => d.request.id)).toEqual(['e1', 'e2']);
    }
  });
});

describe('the peer half-closes', () => {
  it.each(['awaiting_hello', 'authenticating'] as const)('in %s: a hang-up, closed at once', (at) => {
    const e = engine();
    if (at === 'authenticating') e.receive(HELLO);
    expect(e.peerEnded()).toEqual([{ type: 'close', mode: 'destroy' }]);
    expect(e.credentialsChecked({ ok: true, user: 'alice' })).toEqual([]);
  });

  it('in an open session: what it sent is answered, then the connection ends', () => {
    const e = opened();
    const [first] = dispatches(e.receive(Buffer.concat(requests('{"id":"h1","op":"ping"}'))));
    expect(e.peerEnded()).toEqual([]);
    const actions = e.dispatched(first?.ticket ?? -1, { ok: true, result: { serverTime: 't' } });
    expect(types(actions)).toEqual(['send', 'close']);
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
  });

  it('in an idle open session: the connection ends at once, with no notice', () => {
    expect(opened().peerEnded()).toEqual([{ type: 'close', mode: 'end' }]);
  });
});

describe('the server ends a session', () => {
  it('endNow: the notice at once, then close; an answer finished later is not sent', () => {
    const e = opened();
    const [d] = dispatches(e.receive(Buffer.concat(requests('{"id":"n1","op":"balance"}'))));
    const actions = e.endNow('SESSION_EXPIRED', 'session ended: this terminal was revoked');
    expect(types(actions)).toEqual(['send', 'audit', 'close']);
    expect(audits(actions)).toEqual([{ kind: 'session_notice', code: 'SESSION_EXPIRED' }]);
    const client = vectorClient();
    const send = actions[0] as Extract<ServerSessionAction, { type: 'send' }>;
    const notice = client.open(send.payload);
    expect(notice.ok && notice.value.toString()).toBe(
      '{"notice":"SESSION_EXPIRED","message":"session ended: this terminal was revoked"}',
    );
    expect(e.dispatched(d?.ticket ?? -1, { ok: true, result: {} })).toEqual([]);
  });

  it.each(['awaiting_hello', 'authenticating'] as const)('endNow and shutdown in %s drop the connection', (at) => {
    for (const stop of ['endNow', 'shutdown'] as const) {
      const e = engine();
      if (at === 'authenticating') e.receive(HELLO);
      const actions = stop === 'endNow' ? e.endNow('SESSION_EXPIRED', 'x') : e.shutdown();
      expect(actions).toEqual([{ type: 'close', mode: 'destroy' }]);
    }
  });

  it('shutdown: answers what was dispatched, then SERVER_SHUTDOWN; a session already closing is dropped', () => {
    const e = opened();
    const [d] = dispatches(e.receive(Buffer.concat(requests('{"id":"s1","op":"ping"}'))));
    expect(e.shutdown()).toEqual([]);
    const actions = e.dispatched(d?.ticket ?? -1, { ok: true, result: { serverTime: 't' } });
    expect(types(actions)).toEqual(['send', 'send', 'audit', 'close']);
    expect(audits(actions)).toEqual([{ kind: 'session_notice', code: 'SERVER_SHUTDOWN' }]);

    const ending = opened();
    dispatches(ending.receive(Buffer.concat(requests('{"id":"s2","op":"ping"}'))));
    ending.end('SESSION_EXPIRED', 'session ended: locked');
    expect(ending.shutdown()).toEqual([{ type: 'close', mode: 'destroy' }]);
  });
});

describe('output backpressure', () => {
  it('opens no request while the answers are backed up, and goes on once the driver says it drained', () => {
    let queued = MAX_QUEUED_OUTPUT_BYTES + 1;
    const e = opened({ queuedOutputBytes: () => queued });
    const actions = e.receive(Buffer.concat(requests('{"id":"b1","op":"ping"}', '{"id":"b2","op":"ping"}')));
    expect(dispatches(actions)).toEqual([]);
    expect(e.wantsInput).toBe(false);
    queued = 0;
    expect(dispatches(e.writable()).map((d) => d.request.id)).toEqual(['b1', 'b2']);
    expect(e.wantsInput).toBe(true);
  });

  it('counts an answer it hands over in the same call as queued', () => {
    const e = opened({ queuedOutputBytes: () => 0, maxQueuedOutputBytes: 10 });
    // The first is refused (unknown op) and answered at once: its frame alone is over 10 bytes.
    const actions = e.receive(Buffer.concat(requests('{"id":"c1","op":"fly"}', '{"id":"c2","op":"ping"}')));
    expect(types(actions)).toEqual(['refused', 'send']);
    expect(dispatches(e.writable()).map((x) => x.request.id)).toEqual(['c2']);
  });
});

describe('INVALID_AMOUNT says what the request still told (§6)', () => {
  it('above the per-request maximum: the maximum in the message and as maxAmountCents', () => {
    const e = opened({ maxAmountCents: 5_000 });
    const client = vectorClient();
    const sealed = client.sealer.seal('{"id":"big","op":"withdraw","amountCents":2000000}');
    if (!sealed.ok) throw sealed.error;
    const actions = e.receive(frame(sealed.value));
    const refused = actions.find((a) => a.type === 'refused');
    expect(refused).toMatchObject({
      fault: { id: 'big', error: { code: 'INVALID_AMOUNT' } },
      amount: { op: 'withdraw', amountCents: 2_000_000, maxAmountCents: 5_000 },
    });
    const send = actions.find((a) => a.type === 'send') as Extract<ServerSessionAction, { type: 'send' }>;
    const opened_ = client.open(send.payload);
    expect(opened_.ok && JSON.parse(opened_.value.toString())).toEqual({
      id: 'big',
      ok: false,
      error: {
        code: 'INVALID_AMOUNT',
        message: 'amount is above the per-transaction maximum of $50.00',
        maxAmountCents: 5_000,
      },
    });
  });

  it('a float amount: the parser message, no maximum', () => {
    const e = opened({ maxAmountCents: 5_000 });
    const client = vectorClient();
    const sealed = client.sealer.seal('{"id":"f","op":"deposit","amountCents":1.5}');
    if (!sealed.ok) throw sealed.error;
    const actions = e.receive(frame(sealed.value));
    expect(actions.find((a) => a.type === 'refused')).toMatchObject({
      amount: { op: 'deposit', amountCents: null, maxAmountCents: null, message: null },
    });
  });
});
