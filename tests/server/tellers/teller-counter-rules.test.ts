import { Secret, TOTP } from 'otpauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { eventually, MemoryAudit, operator } from '../integration/login-kit.js';
import { at } from '../terminals/terminal-fixture.js';
import { codeOf, createTeller, PASSWORD, resultOf, serve, tellerAt } from './teller-fixture.js';

// protocol/README.md §5.2 and §2.1: serve counts like a login; open_account works with registration closed.
describe('teller counter rules', () => {
  let bank: TestBank;
  const open: RawClient[] = [];
  const audit = new MemoryAudit();
  beforeAll(async () => {
    bank = await startTestBank({ allowRegistration: false, lockoutThreshold: 3 }, { audit });
    await createTeller(bank, 'tina');
    const desk = await tellerAt(bank, 'tina');
    for (const user of ['alice', 'bob', 'carol']) {
      expect(resultOf(await desk.call({ op: 'open_account', user, password: PASSWORD }))).toEqual({ user });
    }
    desk.destroy();
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.destroy();
  });
  afterAll(async () => {
    await bank.dispose();
  });

  it('serve with a wrong password three times locks the customer, same as a login', async () => {
    const desk = await tellerAt(bank, 'tina');
    open.push(desk);
    expect(codeOf(await serve(desk, 'alice', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'alice', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'alice', 'Wrong-Horse-42!'))).toBe('ACCOUNT_LOCKED');
    // Locked now: the right password too, at the counter and at the customer's own login.
    expect(codeOf(await serve(desk, 'alice'))).toBe('ACCOUNT_LOCKED');
    const own = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await own.hello({ user: 'alice', password: PASSWORD });
    own.destroy();
    expect(reply.kind === 'error' && reply.code).toBe('ACCOUNT_LOCKED');
    // A refused serve leaves the session serving no one, and the session goes on.
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
    expect(codeOf(await desk.call({ op: 'ping' }))).toBe('OK');
    // A name that is no account locks the same way (no oracle).
    for (let i = 0; i < 2; i++) expect(codeOf(await serve(desk, 'ghost', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'ghost', 'Wrong-Horse-42!'))).toBe('ACCOUNT_LOCKED');
  });

  it('a right serve after wrong ones resets the count, like a login', async () => {
    const desk = await tellerAt(bank, 'tina');
    open.push(desk);
    expect(codeOf(await serve(desk, 'bob', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'bob', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(resultOf(await serve(desk, 'bob')).user).toBe('bob');
    expect(codeOf(await serve(desk, 'bob', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'bob', 'Wrong-Horse-42!'))).toBe('AUTH_FAILED');
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
    expect(resultOf(await serve(desk, 'bob')).user).toBe('bob');
  });

  it('open_account works with registration closed, under the register policy, once per teller id', async () => {
    const refused = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await refused.hello({ user: 'dora', password: PASSWORD, method: 'register' });
    refused.destroy();
    expect(reply.kind === 'error' && reply.code).toBe('REGISTRATION_CLOSED');

    const desk = await tellerAt(bank, 'tina');
    open.push(desk);
    expect(codeOf(await desk.call({ op: 'open_account', user: 'dora', password: 'short' }))).toBe('WEAK_PASSWORD');
    const first = await desk.call({ id: 'open-dora', op: 'open_account', user: 'dora', password: PASSWORD });
    expect(resultOf(first)).toEqual({ user: 'dora' });
    const again = await desk.call({ id: 'open-dora', op: 'open_account', user: 'dora', password: PASSWORD });
    expect(resultOf(again)).toEqual({ user: 'dora', replayed: true });
    const conflict = await desk.call({ id: 'open-dora', op: 'open_account', user: 'dorb', password: PASSWORD });
    expect(codeOf(conflict)).toBe('IDEMPOTENCY_CONFLICT');
    expect(codeOf(await desk.call({ op: 'open_account', user: 'dora', password: PASSWORD }))).toBe('USER_EXISTS');
    // Opening an account does not change who is served.
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
    const dora = await at(bank, 'dora');
    expect(resultOf(await dora.call({ op: 'balance' })).balanceCents).toBe(0);
    dora.destroy();
  });

  it("serve asks for the customer's code when two-factor is on; the teller's own totp ops stay the teller's", async () => {
    const desk = await tellerAt(bank, 'tina');
    open.push(desk);
    resultOf(await desk.call({ op: 'open_account', user: 'eve', password: PASSWORD }));
    const eve = await at(bank, 'eve');
    const enrolled = resultOf(await eve.call({ op: 'totp_enroll', password: PASSWORD }));
    const secret = Secret.fromBase32(String(enrolled.secret));
    const codeAt = (offset: number) => TOTP.generate({ secret, timestamp: Date.now() + offset * 30_000 });
    expect(codeOf(await eve.call({ op: 'totp_confirm', code: codeAt(-1) }))).toBe('OK');
    eve.destroy();

    expect(codeOf(await serve(desk, 'eve'))).toBe('TOTP_REQUIRED');
    const wrongCode = codeAt(0) === '000000' ? '111111' : '000000';
    expect(codeOf(await desk.call({ op: 'serve', user: 'eve', password: PASSWORD, totp: wrongCode }))).toBe(
      'TOTP_INVALID',
    );
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
    expect(resultOf(await desk.call({ op: 'serve', user: 'eve', password: PASSWORD, totp: codeAt(0) })).user).toBe(
      'eve',
    );
    // eve has two-factor on, so an enrolment for her would need her code: this one is the teller's.
    const own = resultOf(await desk.call({ op: 'totp_enroll', password: PASSWORD }));
    expect(String(own.otpauthUri)).toContain('tina');
    expect(resultOf(await desk.call({ op: 'balance' })).twoFactor).toBe(true);
  });

  it('stops serving a customer an operator locks; the teller session goes on', async () => {
    const desk = await tellerAt(bank, 'tina');
    open.push(desk);
    resultOf(await serve(desk, 'carol'));
    resultOf(await desk.call({ op: 'deposit', amountCents: 1_000 }));
    await operator(bank, 'accounts', 'lock', 'carol');
    // Refused at once (the per-request check), and after the sweep (well inside 2 s) still refused.
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('ACCOUNT_LOCKED');
    // The sweep ends the service (not the session), on the record under both names.
    await eventually(() => audit.events.some((e) => e.kind === 'serve_ended' && e.customer === 'carol'));
    expect(audit.events.find((e) => e.kind === 'serve_ended')).toMatchObject({ actor: 'tina', customer: 'carol' });
    expect(codeOf(await desk.call({ op: 'withdraw', amountCents: 500 }))).toBe('ACCOUNT_LOCKED');
    expect(codeOf(await desk.call({ op: 'ping' }))).toBe('OK');
    expect(desk.closed).toBe(false);
    expect(codeOf(await desk.call({ op: 'release' }))).toBe('OK');
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
  });
});
