import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { fund, MemoryAudit } from '../integration/login-kit.js';
import { at, remote } from '../terminals/terminal-fixture.js';
import { codeOf, createTeller, PASSWORD, register, resultOf, serve, tellerAt } from './teller-fixture.js';

// protocol/README.md §5.2: a teller at an enrolled terminal serves one customer at a time; `serve` is a
// login for the customer (same lockout and answers), and the counter acts as the customer would.
describe('teller sessions', () => {
  let bank: TestBank;
  const audit = new MemoryAudit();
  beforeAll(async () => {
    bank = await startTestBank({ dailyWithdrawalLimitCents: 50_000 }, { audit });
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) await register(bank, user);
    for (const teller of ['tina', 'tom']) await createTeller(bank, teller);
  });
  afterAll(async () => {
    await bank.dispose();
  });

  it('refuses a teller without a terminal certificate with TERMINAL_REQUIRED, only once the password is right', async () => {
    const wrong = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const refused = await wrong.hello({ user: 'tina', password: 'Wrong-Horse-42!' });
    wrong.destroy();
    expect(refused.kind === 'error' && refused.code).toBe('AUTH_FAILED');

    const laptop = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await laptop.hello({ user: 'tina', password: PASSWORD });
    expect(reply.kind === 'error' && reply.code).toBe('TERMINAL_REQUIRED');
    expect(await laptop.closesSilently()).toBe(true);

    // The right password counted no failure: two more refusals and the teller still logs in.
    for (let i = 0; i < 2; i++) {
      const again = await RawClient.connect({ port: bank.port, ca: bank.caCert });
      const answer = await again.hello({ user: 'tina', password: PASSWORD });
      again.destroy();
      expect(answer.kind === 'error' && answer.code).toBe('TERMINAL_REQUIRED');
    }
    const desk = await tellerAt(bank, 'tina');
    expect(codeOf(await desk.call({ op: 'ping' }))).toBe('OK');
    desk.destroy();
  });

  it('says the role in welcome', async () => {
    const desk = await RawClient.connect({
      port: bank.port,
      ca: bank.caCert,
      cert: bank.terminal.cert,
      key: bank.terminal.key,
    });
    const teller = await desk.hello({ user: 'tina', password: PASSWORD });
    desk.destroy();
    expect(teller.kind === 'welcome' && teller.welcome.role).toBe('teller');
    const customer = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await customer.hello({ user: 'alice', password: PASSWORD });
    customer.destroy();
    expect(reply.kind === 'welcome' && reply.welcome.role).toBe('customer');
  });

  it('answers customer ops with NOT_SERVING until serve; own ops work', async () => {
    const desk = await tellerAt(bank, 'tina');
    for (const request of [
      { op: 'balance' },
      { op: 'history' },
      { op: 'deposit', amountCents: 1_000 },
      { op: 'withdraw', amountCents: 1_000 },
      { op: 'transfer', amountCents: 1_000, to: 'alice' },
      { op: 'update_contact', email: 'tina@example.com' },
    ]) {
      expect(codeOf(await desk.call(request)), request.op).toBe('NOT_SERVING');
    }
    expect(codeOf(await desk.call({ op: 'release' }))).toBe('OK');
    expect(codeOf(await desk.call({ op: 'ping' }))).toBe('OK');
    desk.destroy();
  });

  it('cash at the counter lands on the customer, respects their daily limit, and serve → release → serve another', async () => {
    const desk = await tellerAt(bank, 'tina');
    const served = resultOf(await serve(desk, 'alice'));
    expect(served).toEqual({ user: 'alice', balanceCents: 0 });
    expect(resultOf(await desk.call({ op: 'deposit', amountCents: 100_000 })).balanceCents).toBe(100_000);
    expect(resultOf(await desk.call({ op: 'withdraw', amountCents: 40_000 })).balanceCents).toBe(60_000);
    const over = await desk.call({ op: 'withdraw', amountCents: 20_000 });
    expect(codeOf(over)).toBe('LIMIT_EXCEEDED');
    expect((over.error as Record<string, unknown>).remainingCents).toBe(10_000);
    expect(codeOf(await desk.call({ op: 'release' }))).toBe('OK');
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');

    expect(resultOf(await serve(desk, 'bob'))).toEqual({ user: 'bob', balanceCents: 0 });
    expect(resultOf(await desk.call({ op: 'balance' })).balanceCents).toBe(0);
    // A new serve releases bob without a release.
    expect(resultOf(await serve(desk, 'alice')).balanceCents).toBe(60_000);
    desk.destroy();

    // The customer's own session sees the same account and the same spent limit.
    const own = await at(bank, 'alice');
    const balance = resultOf(await own.call({ op: 'balance' }));
    own.destroy();
    expect(balance.balanceCents).toBe(60_000);
    expect(balance.dailyWithdrawalRemainingCents).toBe(10_000);
  });

  it("respects the terminal's cash at the counter", async () => {
    fund(bank, 'carol', 30_000);
    const small = await bank.enrolTerminal('ATM-TELLER-SMALL', { cashCents: 5_000 });
    const desk = await tellerAt(bank, 'tom', small);
    resultOf(await serve(desk, 'carol'));
    expect(codeOf(await desk.call({ op: 'withdraw', amountCents: 6_000 }))).toBe('TERMINAL_OUT_OF_CASH');
    expect(resultOf(await desk.call({ op: 'withdraw', amountCents: 5_000 })).balanceCents).toBe(25_000);
    expect(codeOf(await desk.call({ op: 'withdraw', amountCents: 1 }))).toBe('TERMINAL_OUT_OF_CASH');
    desk.destroy();
  });

  it('reverses a counter withdrawal only from the terminal that made it', async () => {
    const elsewhere = await bank.enrolTerminal('ATM-TELLER-OTHER');
    const desk = await tellerAt(bank, 'tina');
    resultOf(await serve(desk, 'erin'));
    resultOf(await desk.call({ op: 'deposit', amountCents: 10_000 }));
    const withdrawal = resultOf(await desk.call({ op: 'withdraw', amountCents: 3_000 }));
    const other = await tellerAt(bank, 'tom', elsewhere);
    resultOf(await serve(other, 'erin'));
    const reverse = { op: 'reverse', txId: withdrawal.txId, reason: 'NOT_DISPENSED' };
    expect(codeOf(await other.call(reverse))).toBe('UNKNOWN_TX');
    other.destroy();
    const reversed = resultOf(await desk.call(reverse));
    expect(reversed.balanceCents).toBe(10_000);
    expect(reversed.reversedTxId).toBe(withdrawal.txId);
    desk.destroy();
  });

  it('a teller cannot serve a teller, nor a name that is no account: AUTH_FAILED', async () => {
    const desk = await tellerAt(bank, 'tina');
    expect(codeOf(await serve(desk, 'tom'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'tina'))).toBe('AUTH_FAILED');
    expect(codeOf(await serve(desk, 'nobody-here'))).toBe('AUTH_FAILED');
    expect(codeOf(await desk.call({ op: 'balance' }))).toBe('NOT_SERVING');
    desk.destroy();
  });

  it('answers serve, release and open_account from a customer with INVALID_REQUEST', async () => {
    const own = await at(bank, 'alice');
    for (const request of [
      { op: 'serve', user: 'bob', password: PASSWORD },
      { op: 'release' },
      { op: 'open_account', user: 'newbie', password: PASSWORD },
    ]) {
      expect(codeOf(await own.call(request)), request.op).toBe('INVALID_REQUEST');
    }
    own.destroy();
    const laptop = await remote(bank, 'bob');
    expect(codeOf(await laptop.call({ op: 'release' }))).toBe('INVALID_REQUEST');
    laptop.destroy();
  });

  it('names the teller as actor and the customer served in every audit event of the session', async () => {
    const desk = await tellerAt(bank, 'tina');
    const sessionOpen = audit.events.filter((e) => e.kind === 'session_open' && e.actor === 'tina').at(-1);
    const sessionId = sessionOpen?.sessionId;
    expect(sessionId).toBeTruthy();
    expect(sessionOpen?.customer).toBeNull();
    await desk.call({ id: 'audit-before', op: 'balance' });
    resultOf(await serve(desk, 'alice'));
    resultOf(await desk.call({ id: 'audit-deposit', op: 'deposit', amountCents: 500 }));
    resultOf(await desk.call({ id: 'audit-balance', op: 'balance' }));
    desk.destroy();
    await new Promise((r) => setTimeout(r, 300));
    await audit.flush();
    const ofSession = audit.events.filter((e) => e.sessionId === sessionId);
    expect(ofSession.length).toBeGreaterThan(4);
    for (const event of ofSession) {
      expect(event.actor, event.kind).toBe('tina');
      expect('customer' in event, event.kind).toBe(true);
    }
    const byId = (id: string) => ofSession.find((e) => e.requestId === id);
    expect(byId('audit-before')?.customer).toBeNull();
    // The deposit's event was committed with it in the outbox: it names both as well.
    expect(byId('audit-deposit')).toMatchObject({ actor: 'tina', customer: 'alice', outcome: 'ok', amountCents: 500 });
    expect(byId('audit-balance')).toMatchObject({ actor: 'tina', customer: 'alice' });
    expect(ofSession.find((e) => e.kind === 'serve')).toMatchObject({ actor: 'tina', customer: 'alice' });
  });
});
