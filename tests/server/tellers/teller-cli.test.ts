import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { eventually, MemoryAudit, operator } from '../integration/login-kit.js';
import { at } from '../terminals/terminal-fixture.js';
import { codeOf, createTeller, PASSWORD, register, resultOf, serve, tellerAt } from './teller-fixture.js';

// DESIGN.md "Tellers" and "Terminals": accounts --role, list/show with the role, an audited role
// change, and the cash moved at the counter by teller in `terminals report` and `accounts show`.
describe('teller operator commands', () => {
  let bank: TestBank;
  const audit = new MemoryAudit();
  beforeAll(async () => {
    bank = await startTestBank({}, { audit });
    await register(bank, 'alice');
    await register(bank, 'bob');
    await createTeller(bank, 'tina');
  });
  afterAll(async () => {
    await bank.dispose();
  });

  it('lists and shows the role, in JSON too', async () => {
    const list = JSON.parse((await operator(bank, 'accounts', 'list', '--json'))[0] as string) as Array<{
      user: string;
      role: string;
    }>;
    expect(list.find((a) => a.user === 'tina')?.role).toBe('teller');
    expect(list.find((a) => a.user === 'alice')?.role).toBe('customer');
    const table = await operator(bank, 'accounts', 'list');
    expect(table[0]).toContain('ROLE');
    expect(table.find((l) => l.startsWith('tina'))).toMatch(/teller/);
    const shown = JSON.parse((await operator(bank, 'accounts', 'show', 'alice', '--json'))[0] as string);
    expect(shown.role).toBe('customer');
    await expect(operator(bank, 'accounts', 'create', 'xavier', '--role', 'boss')).rejects.toThrow('not a role');
  });

  it("changes a role as an audited operator action; the changed account's session ends", async () => {
    const bobSession = await at(bank, 'bob');
    const out = await operator(bank, 'accounts', 'role', 'bob', 'teller', '--json');
    expect(JSON.parse(out[0] as string)).toEqual({ user: 'bob', role: 'teller', previous: 'customer' });
    // The running server takes the action into its audit log and ends bob's customer session.
    await bobSession.whenClosed();
    await eventually(() =>
      audit.events.some(
        (e) =>
          e.kind === 'operator_action' &&
          e.detail?.action === 'account_role' &&
          e.detail.user === 'bob' &&
          e.detail.from === 'customer' &&
          e.detail.to === 'teller',
      ),
    );
    // Now a teller: refused without a terminal, served as no one.
    const laptop = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    const reply = await laptop.hello({ user: 'bob', password: PASSWORD });
    laptop.destroy();
    expect(reply.kind === 'error' && reply.code).toBe('TERMINAL_REQUIRED');
    const desk = await tellerAt(bank, 'tina');
    expect(codeOf(await serve(desk, 'bob'))).toBe('AUTH_FAILED');
    desk.destroy();
    expect(await operator(bank, 'accounts', 'role', 'bob', 'customer')).toEqual(['bob is now a customer (was teller)']);
    const back = await at(bank, 'bob');
    expect(codeOf(await back.call({ op: 'ping' }))).toBe('OK');
    back.destroy();
  });

  it('breaks counter cash down by teller in terminals report and accounts show', async () => {
    const desk = await tellerAt(bank, 'tina');
    resultOf(await serve(desk, 'alice'));
    resultOf(await desk.call({ op: 'deposit', amountCents: 12_000 }));
    resultOf(await desk.call({ op: 'deposit', amountCents: 3_000 }));
    resultOf(await desk.call({ op: 'withdraw', amountCents: 5_000 }));
    desk.destroy();
    // alice's own cash is no teller's.
    const own = await at(bank, 'alice');
    resultOf(await own.call({ op: 'deposit', amountCents: 100 }));
    own.destroy();
    const report = JSON.parse((await operator(bank, 'terminals', 'report', '--json'))[0] as string);
    expect(report.byTeller).toEqual([
      { teller: 'tina', deposits: { count: 2, cents: 15_000 }, withdrawals: { count: 1, cents: 5_000 } },
    ]);
    const text = await operator(bank, 'terminals', 'report');
    expect(text.some((l) => l.startsWith('tina'))).toBe(true);
    const shown = JSON.parse((await operator(bank, 'accounts', 'show', 'tina', '--json'))[0] as string);
    expect(shown).toMatchObject({
      role: 'teller',
      tellerTotals: { deposits: { count: 2, cents: 15_000 }, withdrawals: { count: 1, cents: 5_000 } },
    });
  });
});
