import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_ERRORS } from '../../../protocol/index.js';
import {
  AddressLimiter,
  Authenticator,
  type AuthOutcome,
  type AuthPolicy,
  createPasswordHasher,
  LoginAdmission,
  type PasswordHasher,
  TotpService,
} from '../../../server/auth/index.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';
import { FakeAccountStore } from './fake-account-store.js';

const PASSWORD = 'Open-Sesame-42';
const ADDRESS = '203.0.113.7';
const START = Date.UTC(2025, 5, 1, 8, 0, 0);

let realHasher: PasswordHasher;
let aliceHash: string;

beforeAll(async () => {
  realHasher = createPasswordHasher({ cost: 4, workers: 2 });
  aliceHash = await realHasher.hash(PASSWORD);
});

afterAll(async () => {
  await realHasher.close();
});

/** The real hasher, counting the bcrypt work each path does. */
class CountingHasher implements PasswordHasher {
  counts = { hash: 0, verify: 0, verifyDummy: 0 };
  onVerify: (() => void) | undefined;
  hash(password: string) {
    this.counts.hash++;
    return realHasher.hash(password);
  }
  verify(password: string, hash: string) {
    this.counts.verify++;
    const result = realHasher.verify(password, hash);
    this.onVerify?.();
    return result;
  }
  verifyDummy(password: string) {
    this.counts.verifyDummy++;
    return realHasher.verifyDummy(password);
  }
  async close() {}
  get bcryptRuns() {
    return this.counts.hash + this.counts.verify + this.counts.verifyDummy;
  }
}

function setup(policy: Partial<AuthPolicy> = {}) {
  let now = START;
  const clock = () => now;
  const fullPolicy: AuthPolicy = {
    allowRegistration: true,
    lockoutThreshold: 3,
    maxFailedLoginsPerMinute: 20,
    maxConnectionsPerAddress: 256,
    ...policy,
  };
  const store = new FakeAccountStore(fullPolicy.lockoutThreshold);
  const hasher = new CountingHasher();
  const limiter = new AddressLimiter(fullPolicy, clock);
  const box = new PiiBox(PiiBox.generateKey());
  const totp = new TotpService(box, { clock });
  const auth = new Authenticator({
    store,
    lockout: store,
    registrar: store,
    hasher,
    limiter,
    policy: fullPolicy,
    totp,
    clock,
  });
  store.add('alice', aliceHash);
  return {
    store,
    hasher,
    limiter,
    box,
    totp,
    auth,
    policy: fullPolicy,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

function login(auth: Authenticator, user: string, password: string, extra: { totp?: string; address?: string } = {}) {
  return auth.login({ user, password, address: extra.address ?? ADDRESS, ...(extra.totp ? { totp: extra.totp } : {}) });
}

function failureOf(outcome: AuthOutcome) {
  if (outcome.ok) throw new Error('expected a failure');
  return outcome;
}

function enableTotp(t: ReturnType<typeof setup>) {
  const enrolled = t.totp.enroll('alice');
  const account = t.store.get('alice');
  account.totpEnabled = true;
  account.totpSecretSealed = enrolled.sealedSecret;
  return (offsetSteps = 0) =>
    TOTP.generate({ secret: Secret.fromBase32(enrolled.secret), timestamp: t.now() + offsetSteps * 30_000 });
}

describe('Authenticator.login', () => {
  it('logs in with the right password', async () => {
    const t = setup();
    const outcome = await login(t.auth, 'alice', PASSWORD);
    expect(outcome).toMatchObject({ ok: true, registered: false, account: { user: 'alice', id: 1 } });
    expect(t.hasher.counts.verify).toBe(1);
  });

  it('resets the failure count on success', async () => {
    const t = setup();
    await login(t.auth, 'alice', 'wrong-password');
    await login(t.auth, 'alice', 'wrong-password');
    expect(t.store.get('alice').failedLogins).toBe(2);
    const outcome = await login(t.auth, 'alice', PASSWORD);
    expect(outcome.ok && outcome.account.failedLogins).toBe(0);
    expect(t.store.get('alice').failedLogins).toBe(0);
    // A third wrong password now starts again from one: no lock.
    expect(failureOf(await login(t.auth, 'alice', 'wrong-password')).code).toBe('AUTH_FAILED');
    expect(t.store.get('alice').locked).toBe(false);
  });

  it('gives an unknown user and a wrong password the same code and message, each after one bcrypt run', async () => {
    const t = setup();
    const unknown = failureOf(await login(t.auth, 'mallory', PASSWORD));
    expect(t.hasher.counts.verifyDummy).toBe(1);
    const wrong = failureOf(await login(t.auth, 'alice', `${PASSWORD}!`));
    expect(t.hasher.counts.verify).toBe(1);
    expect(unknown.code).toBe('AUTH_FAILED');
    expect(wrong.code).toBe(unknown.code);
    expect(WIRE_ERRORS[wrong.code as 'AUTH_FAILED']).toBe(WIRE_ERRORS[unknown.code as 'AUTH_FAILED']);
    expect({ ...unknown, user: '' }).toEqual({ ...wrong, user: '' });
    expect(unknown.user).toBe('mallory');
  });

  it('treats a closed account like an unknown user, even with the right password', async () => {
    const t = setup();
    t.store.get('alice').status = 'closed';
    const outcome = failureOf(await login(t.auth, 'alice', PASSWORD));
    expect(outcome).toEqual({ ok: false, code: 'AUTH_FAILED', user: 'alice', lockedNow: false });
    expect(t.hasher.counts).toMatchObject({ verify: 0, verifyDummy: 1 });
    // Counted against the name like any other failure (§2.1): no difference to observe.
    expect(t.store.calls.recordFailure).toBe(1);
  });

  it('locks at the threshold: the locking failure says ACCOUNT_LOCKED with lockedNow', async () => {
    const t = setup({ lockoutThreshold: 3 });
    expect(failureOf(await login(t.auth, 'alice', 'nope-1'))).toMatchObject({ code: 'AUTH_FAILED', lockedNow: false });
    expect(failureOf(await login(t.auth, 'alice', 'nope-2'))).toMatchObject({ code: 'AUTH_FAILED', lockedNow: false });
    expect(failureOf(await login(t.auth, 'alice', 'nope-3'))).toEqual({
      ok: false,
      code: 'ACCOUNT_LOCKED',
      user: 'alice',
      lockedNow: true,
    });
    expect(t.store.isNameLocked('alice')).toBe(true);
  });

  it('refuses a locked account even with the right password, still running the compare', async () => {
    const t = setup();
    t.store.get('alice').locked = true;
    const verifiesBefore = t.hasher.counts.verify;
    expect(failureOf(await login(t.auth, 'alice', PASSWORD))).toEqual({
      ok: false,
      code: 'ACCOUNT_LOCKED',
      user: 'alice',
      lockedNow: false,
    });
    expect(t.hasher.counts.verify).toBe(verifiesBefore + 1);
    expect(failureOf(await login(t.auth, 'alice', 'wrong')).code).toBe('ACCOUNT_LOCKED');
    // Both answers took the same path through the writer; neither was a success.
    expect(t.store.calls.recordFailure).toBe(2);
    expect(t.store.calls.recordSuccess).toBe(0);
  });

  it('sees a lock that lands while the password is being checked', async () => {
    const t = setup();
    t.hasher.onVerify = () => {
      t.store.get('alice').locked = true;
    };
    expect(failureOf(await login(t.auth, 'alice', PASSWORD)).code).toBe('ACCOUNT_LOCKED');
  });

  it('rate-limits an address over its failed-login budget before any bcrypt work', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 4, lockoutThreshold: 100 });
    await login(t.auth, 'mallory', 'x');
    await login(t.auth, 'trudy', 'x');
    await login(t.auth, 'alice', 'x');
    await login(t.auth, 'alice', 'y');
    const runs = t.hasher.bcryptRuns;
    expect(failureOf(await login(t.auth, 'alice', PASSWORD))).toMatchObject({
      ok: false,
      code: 'RATE_LIMITED',
      user: 'alice',
      lockedNow: false,
      retryAfterMs: expect.any(Number),
    });
    expect(t.hasher.bcryptRuns).toBe(runs);
    // Another address is unaffected, and the budget comes back after a minute.
    expect((await login(t.auth, 'alice', PASSWORD, { address: '198.51.100.1' })).ok).toBe(true);
    t.advance(60_000);
    expect((await login(t.auth, 'alice', PASSWORD)).ok).toBe(true);
  });

  it('does not count a successful login against the address', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 2 });
    for (let i = 0; i < 5; i++) expect((await login(t.auth, 'alice', PASSWORD)).ok).toBe(true);
    expect(t.limiter.isLoginRateLimited(ADDRESS)).toBe(false);
  });
});

describe('Authenticator.login with TOTP', () => {
  it('asks for the code without counting a failure', async () => {
    const t = setup();
    enableTotp(t);
    expect(failureOf(await login(t.auth, 'alice', PASSWORD)).code).toBe('TOTP_REQUIRED');
    expect(t.store.get('alice').failedLogins).toBe(0);
    expect(t.limiter.isLoginRateLimited(ADDRESS)).toBe(false);
  });

  it('checks the password before asking for the code', async () => {
    const t = setup();
    enableTotp(t);
    expect(failureOf(await login(t.auth, 'alice', 'wrong')).code).toBe('AUTH_FAILED');
  });

  it('logs in with a real code and records its step', async () => {
    const t = setup();
    const code = enableTotp(t);
    const outcome = await login(t.auth, 'alice', PASSWORD, { totp: code() });
    const step = Math.floor(t.now() / 30_000);
    expect(outcome).toMatchObject({ ok: true, account: { totpLastStep: step } });
    expect(t.store.get('alice').totpLastStep).toBe(step);
  });

  it('refuses a wrong code as TOTP_INVALID and counts it as a failed login', async () => {
    const t = setup();
    const code = enableTotp(t);
    const good = code();
    const near = new Set([code(-1), good, code(1)]);
    let wrong = good;
    for (let n = 0; near.has(wrong); n++) wrong = String((Number(good) + 1 + n) % 1_000_000).padStart(6, '0');
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: wrong })).code).toBe('TOTP_INVALID');
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: 'abcdef' })).code).toBe('TOTP_INVALID');
    expect(t.store.get('alice').failedLogins).toBe(2);
    // The third wrong code locks.
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: wrong }))).toMatchObject({
      code: 'ACCOUNT_LOCKED',
      lockedNow: true,
    });
  });

  it('refuses a replayed code', async () => {
    const t = setup();
    const code = enableTotp(t);
    const first = code();
    expect((await login(t.auth, 'alice', PASSWORD, { totp: first })).ok).toBe(true);
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: first })).code).toBe('TOTP_INVALID');
    // The next step's code still works.
    t.advance(30_000);
    expect((await login(t.auth, 'alice', PASSWORD, { totp: code() })).ok).toBe(true);
  });

  it('fails closed when TOTP is enabled but no secret is stored', async () => {
    const t = setup();
    t.store.get('alice').totpEnabled = true;
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: '123456' })).code).toBe('TOTP_INVALID');
  });

  it('ignores a pending (unconfirmed) secret', async () => {
    const t = setup();
    const enrolled = t.totp.enroll('alice');
    t.store.get('alice').totpPendingSealed = enrolled.sealedSecret;
    expect((await login(t.auth, 'alice', PASSWORD)).ok).toBe(true);
  });
});

describe('Authenticator.register', () => {
  it('refuses when registration is closed, before any bcrypt work', async () => {
    const t = setup({ allowRegistration: false });
    const outcome = await t.auth.register({ user: 'carol', password: 'Str0ng&Long-pass', address: ADDRESS });
    expect(outcome).toEqual({ ok: false, code: 'REGISTRATION_CLOSED', user: 'carol', lockedNow: false });
    expect(t.hasher.bcryptRuns).toBe(0);
  });

  it('refuses a weak password', async () => {
    const t = setup();
    for (const password of ['short1!A', 'alllowercase-123', 'ALLUPPERCASE-123', 'NoDigitsHere-!!', 'NoSymbols12345']) {
      expect(failureOf(await t.auth.register({ user: 'carol', password, address: ADDRESS })).code).toBe(
        'WEAK_PASSWORD',
      );
    }
    expect(t.hasher.bcryptRuns).toBe(0);
    expect(t.store.accounts.has('carol')).toBe(false);
  });

  it('refuses a taken user name', async () => {
    const t = setup();
    const outcome = await t.auth.register({ user: 'alice', password: 'Str0ng&Long-pass', address: ADDRESS });
    expect(outcome).toEqual({ ok: false, code: 'USER_EXISTS', user: 'alice', lockedNow: false });
    expect(t.store.get('alice').passwordHash).toBe(aliceHash);
  });

  it('creates the account with a bcrypt hash and logs it in', async () => {
    const t = setup();
    const password = 'Str0ng&Long-pass';
    const outcome = await t.auth.register({ user: 'carol', password, address: ADDRESS });
    expect(outcome).toMatchObject({ ok: true, registered: true, account: { user: 'carol' } });
    const stored = t.store.get('carol').passwordHash;
    expect(stored).toMatch(/^\$2[aby]\$04\$/);
    expect(stored).not.toContain(password);
    expect((await login(t.auth, 'carol', password)).ok).toBe(true);
  });
});

describe('Authenticator.checkPassword', () => {
  it('checks the current password of an account', async () => {
    const t = setup();
    const alice = t.store.get('alice');
    expect(await t.auth.checkPassword(alice, PASSWORD)).toBe(true);
    expect(await t.auth.checkPassword(alice, 'not-it')).toBe(false);
  });
});

describe('Authenticator lockout without oracles (§2.1)', () => {
  it('locks an unknown name exactly like a real one: third failure ACCOUNT_LOCKED, then every attempt', async () => {
    const t = setup();
    const real: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 4; i++) {
      real.push(failureOf(await login(t.auth, 'alice', `wrong-${i}`)).code);
      unknown.push(failureOf(await login(t.auth, 'mallory', `wrong-${i}`)).code);
    }
    expect(real).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'ACCOUNT_LOCKED', 'ACCOUNT_LOCKED']);
    expect(unknown).toEqual(real);
  });

  it('answers ACCOUNT_LOCKED on a locked name whether or not the password is right, after the same bcrypt work', async () => {
    const t = setup();
    for (let i = 0; i < 3; i++) await login(t.auth, 'alice', 'wrong');
    const before = t.hasher.bcryptRuns;
    const right = failureOf(await login(t.auth, 'alice', PASSWORD));
    const wrong = failureOf(await login(t.auth, 'alice', 'wrong'));
    expect(t.hasher.bcryptRuns).toBe(before + 2);
    expect(right).toEqual(wrong);
    expect(right.code).toBe('ACCOUNT_LOCKED');
  });

  it('takes a per-address slot for attempts on a locked name, right password or not', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 5 });
    t.store.lockedNames.add('alice');
    for (let i = 0; i < 5; i++) expect(failureOf(await login(t.auth, 'alice', PASSWORD)).code).toBe('ACCOUNT_LOCKED');
    expect(failureOf(await login(t.auth, 'alice', PASSWORD)).code).toBe('RATE_LIMITED');
  });

  it('gives a reused TOTP code reason USED', async () => {
    const t = setup();
    const code = enableTotp(t);
    const first = code();
    expect((await login(t.auth, 'alice', PASSWORD, { totp: first })).ok).toBe(true);
    expect(failureOf(await login(t.auth, 'alice', PASSWORD, { totp: first }))).toMatchObject({
      code: 'TOTP_INVALID',
      reason: 'USED',
    });
  });
});

describe('Authenticator admission (§2.1)', () => {
  it('takes the per-address slot when the attempt starts: 60 parallel wrong logins get at most 20 answers past the limit', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 20, lockoutThreshold: 1000 });
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => login(t.auth, `user${i}`, 'wrong-password')),
    );
    const codes = outcomes.map((o) => failureOf(o).code);
    expect(codes.filter((c) => c === 'AUTH_FAILED')).toHaveLength(20);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(40);
    expect(t.hasher.bcryptRuns).toBe(20);
  });

  it('answers SERVER_BUSY with retryAfterMs when a check could not end before the deadline, and takes no slot', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 1 });
    const admission = new LoginAdmission({ workers: 1, initialCheckMs: 3_000, marginMs: 1_000, clock: t.now });
    const auth = new Authenticator({ ...depsOf(t), admission });
    const deadlineMs = t.now() + 10_000;
    // 10 s - 1 s margin affords three checks of 3 s: the fourth is refused at once.
    const started = [1, 2, 3].map((i) =>
      auth.login({ user: `u${i}`, password: 'x', address: `10.0.0.${i}`, deadlineMs }),
    );
    const busy = failureOf(await auth.login({ user: 'alice', password: PASSWORD, address: ADDRESS, deadlineMs }));
    expect(busy.code).toBe('SERVER_BUSY');
    expect(busy.retryAfterMs).toBeGreaterThan(0);
    await Promise.all(started);
    // SERVER_BUSY took no slot of the one this address has.
    expect(
      (await auth.login({ user: 'alice', password: PASSWORD, address: ADDRESS, deadlineMs: t.now() + 10_000 })).ok,
    ).toBe(true);
  });

  it('caps the checks one address may have queued', async () => {
    const t = setup({ lockoutThreshold: 1000 });
    const admission = new LoginAdmission({ workers: 1, initialCheckMs: 1, maxPerAddress: 2, clock: t.now });
    const auth = new Authenticator({ ...depsOf(t), admission });
    const outcomes = await Promise.all(
      [1, 2, 3].map((i) => auth.login({ user: `u${i}`, password: 'x', address: ADDRESS })),
    );
    expect(outcomes.map((o) => failureOf(o).code)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'SERVER_BUSY']);
  });

  it('drops a queued check whose connection closed: ABANDONED, no bcrypt, no failure, slot given back', async () => {
    const t = setup({ maxFailedLoginsPerMinute: 2 });
    const admission = new LoginAdmission({ workers: 1, initialCheckMs: 1, clock: t.now });
    const auth = new Authenticator({ ...depsOf(t), admission });
    const first = auth.login({ user: 'alice', password: 'wrong', address: ADDRESS });
    const gone = new AbortController();
    const queued = auth.login({ user: 'alice', password: 'wrong', address: ADDRESS, signal: gone.signal });
    gone.abort();
    expect(failureOf(await queued).code).toBe('ABANDONED');
    expect(failureOf(await first).code).toBe('AUTH_FAILED');
    expect(t.hasher.bcryptRuns).toBe(1);
    expect(t.store.calls.recordFailure).toBe(1);
    // Its slot came back: one more attempt still fits the limit of 2.
    expect(failureOf(await auth.login({ user: 'alice', password: 'wrong', address: ADDRESS })).code).toBe(
      'AUTH_FAILED',
    );
  });

  it('answers SERVER_BUSY instead of starting a queued check whose turn came too late for its deadline', async () => {
    const t = setup({ lockoutThreshold: 1000 });
    const admission = new LoginAdmission({ workers: 1, initialCheckMs: 100, marginMs: 0, clock: t.now });
    const slowHasher = {
      ...t.hasher,
      verifyDummy: async (password: string) => {
        const result = await t.hasher.verifyDummy(password);
        t.advance(9_800); // the machine got much slower than the estimate
        return result;
      },
    } as unknown as PasswordHasher;
    const auth = new Authenticator({ ...depsOf(t), hasher: slowHasher, admission });
    const deadlineMs = t.now() + 10_000;
    const first = auth.login({ user: 'u1', password: 'x', address: '10.0.0.1', deadlineMs });
    const second = auth.login({ user: 'u2', password: 'x', address: '10.0.0.2', deadlineMs });
    expect(failureOf(await first).code).toBe('AUTH_FAILED');
    const late = failureOf(await second);
    expect(late.code).toBe('SERVER_BUSY');
    expect(late.retryAfterMs).toBeGreaterThan(0);
    expect(t.hasher.counts.verifyDummy).toBe(1);
    expect(t.store.calls.recordFailure).toBe(1);
  });

  it('limits registrations per address per hour', async () => {
    const t = setup({ maxRegistrationsPerHour: 2 });
    const password = 'Str0ng&Long-pass';
    expect((await t.auth.register({ user: 'carol1', password, address: ADDRESS })).ok).toBe(true);
    expect((await t.auth.register({ user: 'carol2', password, address: ADDRESS })).ok).toBe(true);
    expect(failureOf(await t.auth.register({ user: 'carol3', password, address: ADDRESS })).code).toBe('RATE_LIMITED');
    expect(t.store.accounts.has('carol3')).toBe(false);
    t.advance(3_600_000);
    expect((await t.auth.register({ user: 'carol3', password, address: ADDRESS })).ok).toBe(true);
  });
});

function depsOf(t: ReturnType<typeof setup>) {
  return {
    store: t.store,
    lockout: t.store,
    registrar: t.store,
    hasher: t.hasher,
    limiter: t.limiter,
    policy: t.policy,
    totp: t.totp,
    clock: t.now,
  };
}
