import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_EARLY_FRAMES,
  SERVER_SESSION_TRANSITIONS,
  type ServerSessionAction,
  ServerSessionEngine,
  type ServerSessionOptions,
} from '../../protocol/index.js';
import { sealedInOrder } from '../helpers/vectors.js';
import { FakeClock, feed, frame, plain, serverKeyPair, v, vectorClient, vectorRandom } from './engine-kit.js';

// Expected bytes are the vector frames and hand-built JSON; the client end that seals requests
// and opens answers is a SealedChannel keyed with the vector keys (checked in vectors.test.ts).
const [c2s0, c2s1] = sealedInOrder(v, 'c2s');
const [s2c0, s2c1] = sealedInOrder(v, 's2c');
const HELLO = frame(v.helloUtf8);
const WELCOME = frame(v.welcomeUtf8);
const EARLY = [frame(JSON.stringify(c2s0?.envelope)), frame(JSON.stringify(c2s1?.envelope))];

/** Every state change seen in this file, to check that the tests walk the whole table. */
const seen = new Set<string>();

class Harness {
  readonly clock = new FakeClock();
  readonly engine: ServerSessionEngine;
  constructor(options: Partial<ServerSessionOptions> = {}) {
    this.engine = new ServerSessionEngine({
      clock: this.clock,
      idleTimeoutSec: 300,
      keyPair: serverKeyPair,
      random: vectorRandom(),
      ...options,
    });
  }
  /** Run one event and note the state change it made. */
  step(event: (e: ServerSessionEngine) => ServerSessionAction[]): ServerSessionAction[] {
    const from = this.engine.state;
    const actions = event(this.engine);
    if (this.engine.state !== from) seen.add(`${from}→${this.engine.state}`);
    return actions;
  }
  receive(bytes: Buffer, split: 'whole' | 'bytewise' = 'whole'): ServerSessionAction[] {
    return feed((chunk) => this.step((e) => e.receive(chunk)), bytes, split);
  }
  /** hello (and any early frames), then a successful password check. */
  open(...early: Buffer[]): ServerSessionAction[] {
    this.receive(Buffer.concat([HELLO, ...early]));
    return this.step((e) => e.credentialsChecked({ ok: true, user: 'alice' }));
  }
}

const sends = (actions: ServerSessionAction[]) =>
  actions.filter((a): a is Extract<ServerSessionAction, { type: 'send' }> => a.type === 'send');
const ofType = <T extends ServerSessionAction['type']>(actions: ServerSessionAction[], type: T) =>
  actions.filter((a): a is Extract<ServerSessionAction, { type: T }> => a.type === type);
const errorFrame = (json: string) => frame(json).toString('hex');

describe('ServerSessionEngine: the handshake', () => {
  it('awaiting_hello → authenticating: asks for the password check and stops reading', () => {
    const h = new Harness();
    expect(h.engine.wantsInput).toBe(true);
    const actions = h.receive(HELLO);
    expect(actions.map((a) => a.type)).toEqual(['checkCredentials']);
    const [check] = ofType(actions, 'checkCredentials');
    expect(check?.hello.message.auth.user).toBe('alice');
    expect(h.engine.state).toBe('authenticating');
    expect(h.engine.wantsInput).toBe(false);
  });

  it('authenticating → open: sends the vector welcome byte for byte', () => {
    const h = new Harness();
    const actions = h.open();
    expect(actions.map((a) => a.type)).toEqual(['send', 'opened']);
    expect(sends(actions)[0]?.bytes.equals(WELCOME)).toBe(true);
    expect(ofType(actions, 'opened')[0]).toEqual({
      type: 'opened',
      sessionId: Buffer.from(v.sessionId, 'hex').toString('base64'),
      user: 'alice',
      role: 'customer',
    });
    expect(h.engine.state).toBe('open');
  });

  it('puts the role into welcome when the check names one', () => {
    const h = new Harness();
    h.receive(HELLO);
    const [welcome] = sends(h.step((e) => e.credentialsChecked({ ok: true, user: 'alice', role: 'teller' })));
    expect(JSON.parse(welcome?.payload.toString() ?? '')).toMatchObject({ user: 'alice', role: 'teller' });
  });

  it.each<[string, Buffer, string]>([
    ['not JSON', frame('nope'), '{"type":"error","code":"PROTOCOL_ERROR","message":"hello is not a JSON object"}'],
    [
      'another protocol',
      frame(v.helloUtf8.replace('secure-atm/1', 'secure-atm/9')),
      '{"type":"error","code":"UNSUPPORTED_PROTOCOL","message":"unsupported protocol; expected secure-atm/1"}',
    ],
    ['a zero length', Buffer.alloc(4), '{"type":"error","code":"PROTOCOL_ERROR","message":"frame length 0"}'],
  ])('awaiting_hello → closing: %s gets an error frame, an audit and a close', (_name, bytes, json) => {
    const h = new Harness();
    const actions = h.receive(bytes);
    expect(sends(actions).map((s) => s.bytes.toString('hex'))).toEqual([errorFrame(json)]);
    expect(ofType(actions, 'audit')[0]?.event.kind).toBe('protocol_error');
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
    expect(h.engine.state).toBe('closing');
    expect(h.receive(HELLO)).toEqual([]);
  });

  it('answers the first frame with refuseFirstFrame, whatever it is (§1.1)', () => {
    const h = new Harness({ refuseFirstFrame: 'TERMINAL_REFUSED' });
    const actions = h.receive(HELLO);
    expect(sends(actions)[0]?.bytes.toString('hex')).toBe(
      errorFrame('{"type":"error","code":"TERMINAL_REFUSED","message":"terminal certificate refused"}'),
    );
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
  });

  it('authenticating → closing: a refused login is one error frame (with retryAfterMs) and a close', () => {
    const h = new Harness();
    h.receive(HELLO);
    const actions = h.step((e) => e.credentialsChecked({ ok: false, code: 'SERVER_BUSY', retryAfterMs: 900 }));
    expect(actions).toEqual([
      {
        type: 'send',
        bytes: frame(
          '{"type":"error","code":"SERVER_BUSY","message":"server busy; retry later with the same id","retryAfterMs":900}',
        ),
        payload: expect.any(Buffer),
      },
      { type: 'close', mode: 'end' },
    ]);
    expect(h.step((e) => e.credentialsChecked({ ok: true, user: 'alice' }))).toEqual([]);
  });

  it.each(['awaiting_hello', 'authenticating'] as const)('%s → closed: the peer hangs up (no session_close)', (at) => {
    const h = new Harness();
    if (at === 'authenticating') h.receive(HELLO);
    expect(h.step((e) => e.closed())).toEqual([]);
    expect(h.engine.state).toBe('closed');
    expect(h.step((e) => e.credentialsChecked({ ok: true, user: 'alice' }))).toEqual([]);
  });
});

describe('ServerSessionEngine: early frames', () => {
  const run = (split: 'whole' | 'bytewise') => {
    const h = new Harness();
    const before = h.receive(Buffer.concat([HELLO, ...EARLY]), split);
    const after = h.step((e) => e.credentialsChecked({ ok: true, user: 'alice' }));
    return { h, before, after };
  };

  it('behave the same in one chunk and byte by byte: held, then opened as sealed frames after welcome', () => {
    const whole = run('whole');
    const bytewise = run('bytewise');
    expect(plain(bytewise.before)).toEqual(plain(whole.before));
    expect(plain(bytewise.after)).toEqual(plain(whole.after));
    expect(whole.before.map((a) => a.type)).toEqual(['checkCredentials']);
    expect(ofType(whole.after, 'dispatch').map((d) => d.request)).toEqual([
      { id: 'req-1', op: 'balance' },
      { id: 'req-2', op: 'withdraw', amountCents: 2000 },
    ]);
  });

  it('behave the same split into two chunks at every offset', () => {
    const stream = Buffer.concat([HELLO, ...EARLY]);
    const expected = plain([...run('whole').before, ...run('whole').after]);
    for (let at = 1; at < stream.length; at++) {
      const h = new Harness();
      const actions = [...h.receive(stream.subarray(0, at)), ...h.receive(stream.subarray(at))];
      actions.push(...h.step((e) => e.credentialsChecked({ ok: true, user: 'alice' })));
      expect(plain(actions)).toEqual(expected);
    }
  });

  it('more than 32 before welcome break the handshake with PROTOCOL_ERROR', () => {
    const h = new Harness();
    h.receive(HELLO);
    expect(h.receive(Buffer.concat(Array.from({ length: MAX_EARLY_FRAMES }, () => frame('{}'))))).toEqual([]);
    const actions = h.receive(frame('{}'));
    expect(JSON.parse(sends(actions)[0]?.payload.toString() ?? '')).toMatchObject({ code: 'PROTOCOL_ERROR' });
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'end' });
  });
});

describe('ServerSessionEngine: the open session', () => {
  it('seals answers in request order, byte for byte as the vectors, whatever order they are reported in', () => {
    const h = new Harness();
    h.receive(Buffer.concat([HELLO, ...EARLY]));
    const [first, second] = ofType(
      h.step((e) => e.credentialsChecked({ ok: true, user: 'alice' })),
      'dispatch',
    );
    expect(h.engine.inFlight).toBe(2);
    const late = h.step((e) => e.dispatched(second?.ticket ?? -1, { ok: false, code: 'INSUFFICIENT_FUNDS' }));
    expect(late).toEqual([]);
    const both = h.step((e) =>
      e.dispatched(first?.ticket ?? -1, { ok: true, result: { balanceCents: 10000, currency: 'USD' } }),
    );
    expect(sends(both).map((s) => s.bytes.toString('hex'))).toEqual([
      frame(JSON.stringify(s2c0?.envelope)).toString('hex'),
      frame(JSON.stringify(s2c1?.envelope)).toString('hex'),
    ]);
    expect(h.engine.inFlight).toBe(0);
  });

  it('answers a malformed request INVALID_REQUEST in its turn and goes on', () => {
    const h = new Harness();
    h.open();
    const client = vectorClient();
    const seal = (text: string) => {
      const s = client.sealer.seal(text);
      if (!s.ok) throw s.error;
      return frame(s.value);
    };
    const first = ofType(h.receive(seal('{"id":"a","op":"ping"}')), 'dispatch')[0];
    const refused = h.receive(seal('{"id":"b","op":"fly"}'));
    expect(refused).toEqual([
      { type: 'refused', ticket: 1, fault: { id: 'b', error: { code: 'INVALID_REQUEST', message: 'unknown op' } } },
    ]);
    const out = h.step((e) => e.dispatched(first?.ticket ?? -1, { ok: true, result: { serverTime: 'now' } }));
    const texts = sends(out).map((s) => {
      const opened = client.open(s.payload);
      return opened.ok ? opened.value.toString() : opened.error.code;
    });
    expect(texts).toEqual([
      '{"id":"a","ok":true,"result":{"serverTime":"now"}}',
      '{"id":"b","ok":false,"error":{"code":"INVALID_REQUEST","message":"unknown op"}}',
    ]);
    expect(h.engine.state).toBe('open');
  });

  it('holds frames beyond 32 in flight and opens them as answers go out', () => {
    const h = new Harness();
    h.open();
    const client = vectorClient();
    const frames = Array.from({ length: 33 }, (_, i) => {
      const s = client.sealer.seal(`{"id":"p${i}","op":"ping"}`);
      if (!s.ok) throw s.error;
      return frame(s.value);
    });
    const dispatched = ofType(h.receive(Buffer.concat(frames)), 'dispatch');
    expect(dispatched).toHaveLength(32);
    expect(h.engine.wantsInput).toBe(false);
    const next = h.step((e) => e.dispatched(0, { ok: true, result: { serverTime: 't' } }));
    expect(ofType(next, 'dispatch').map((d) => d.request.id)).toEqual(['p32']);
  });

  it.each<[string, (env: { seq: number; ct: string; mac: string }) => Buffer, string]>([
    ['a wrong mac', (env) => frame(JSON.stringify({ ...env, mac: `A${env.mac.slice(1)}` })), 'integrity_failure'],
    ['a skipped seq', () => frame(JSON.stringify(c2s1?.envelope)), 'sequence_error'],
    ['a bad envelope', () => frame('{"seq":0}'), 'protocol_error'],
    ['an oversize length', () => Buffer.from([0, 1, 0, 1]), 'protocol_error'],
  ])('open → closing: %s closes at once, unanswered, with an audit', (_name, bad, kind) => {
    const h = new Harness();
    h.open();
    const actions = h.receive(bad(c2s0?.envelope as { seq: number; ct: string; mac: string }));
    expect(sends(actions)).toEqual([]);
    expect(ofType(actions, 'audit').map((a) => a.event.kind)).toEqual([kind]);
    expect(actions.at(-1)).toEqual({ type: 'close', mode: 'destroy' });
    expect(h.engine.state).toBe('closing');
    expect(h.receive(EARLY[0] as Buffer)).toEqual([]);
  });

  it('logout: open → closing → closed, the answer first, then close, then session_close', () => {
    const h = new Harness();
    h.open();
    const client = vectorClient();
    const s = client.sealer.seal('{"id":"bye","op":"logout"}');
    if (!s.ok) throw s.error;
    const [d] = ofType(h.receive(frame(s.value)), 'dispatch');
    const actions = h.step((e) => e.dispatched(d?.ticket ?? -1, { ok: true, result: {} }));
    expect(actions.map((a) => a.type)).toEqual(['send', 'close']);
    expect(h.engine.state).toBe('closing');
    expect(h.step((e) => e.closed())).toEqual([{ type: 'audit', event: { kind: 'session_close' } }]);
    expect(h.engine.state).toBe('closed');
  });

  it('end(): answers what was dispatched, then the notice, then closes', () => {
    const h = new Harness();
    const [d] = ofType(h.open(EARLY[0] as Buffer), 'dispatch');
    expect(h.step((e) => e.end('SERVER_SHUTDOWN', 'the bank server is shutting down'))).toEqual([]);
    expect(h.engine.state).toBe('closing');
    const actions = h.step((e) => e.dispatched(d?.ticket ?? -1, { ok: true, result: { balanceCents: 1 } }));
    expect(actions.map((a) => a.type)).toEqual(['send', 'send', 'audit', 'close']);
    const client = vectorClient();
    const texts = sends(actions).map((x) => {
      const o = client.open(x.payload);
      return o.ok ? o.value.toString() : o.error.code;
    });
    expect(texts[1]).toBe('{"notice":"SERVER_SHUTDOWN","message":"the bank server is shutting down"}');
  });
});

describe('ServerSessionEngine: timeouts on a fake clock', () => {
  it('the handshake deadline is 10 s from the start; nothing happens a millisecond before it', () => {
    const h = new Harness();
    h.receive(HELLO);
    expect(h.engine.deadline).toBe(h.clock.t + 10_000);
    h.clock.advance(9_999);
    expect(h.step((e) => e.timeout())).toEqual([]);
    h.clock.advance(1);
    expect(h.step((e) => e.timeout())).toEqual([
      { type: 'audit', event: { kind: 'handshake_timeout', detail: { partialFrame: false } } },
      { type: 'close', mode: 'destroy' },
    ]);
  });

  it('reports a partial frame at the handshake timeout', () => {
    const h = new Harness();
    h.receive(HELLO.subarray(0, 10));
    h.clock.advance(10_000);
    expect(
      ofType(
        h.step((e) => e.timeout()),
        'audit',
      )[0]?.event.detail,
    ).toEqual({ partialFrame: true });
  });

  it('idle: SESSION_EXPIRED after idleTimeoutSec of silence, not while an answer is pending', () => {
    // idleTimeoutSec 300 is the vector welcome's: other welcome bytes would give other keys.
    const h = new Harness();
    const [d] = ofType(h.open(EARLY[0] as Buffer), 'dispatch');
    h.clock.advance(300_000);
    expect(h.step((e) => e.timeout())).toEqual([]);
    expect(h.engine.deadline).toBe(h.clock.t + 300_000);
    h.step((e) => e.dispatched(d?.ticket ?? -1, { ok: true, result: {} }));
    h.clock.advance(299_999);
    expect(h.step((e) => e.timeout())).toEqual([]);
    h.clock.advance(1);
    const actions = h.step((e) => e.timeout());
    expect(actions.map((a) => a.type)).toEqual(['send', 'audit', 'close']);
    expect(ofType(actions, 'audit')[0]?.event).toEqual({ kind: 'session_notice', code: 'SESSION_EXPIRED' });
    expect(h.engine.state).toBe('closing');
    expect(h.engine.deadline).toBeNull();
  });

  it('open → closed: the peer hangs up mid-session (session_close is audited)', () => {
    const h = new Harness();
    h.open();
    expect(h.step((e) => e.closed())).toEqual([{ type: 'audit', event: { kind: 'session_close' } }]);
  });
});

afterAll(() => {
  const table = Object.entries(SERVER_SESSION_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
  // Every transition of the table was taken by some test above.
  expect([...seen].sort()).toEqual(table.sort());
});
