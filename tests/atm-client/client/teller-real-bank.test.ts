import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../atm-client/client/index.js';
import { suiteBank } from '../../helpers/test-bank.js';
import { terminalOptions } from '../../helpers/test-terminal.js';
import { createTeller, PASSWORD } from '../../server/tellers/teller-fixture.js';

// The client library's teller calls against a real bank (protocol/README.md §5.2).
describe('client library: a teller session against a real bank', () => {
  const bank = suiteBank();
  beforeAll(async () => {
    await createTeller(bank, 'tess');
  });

  const at = (user: string, register = false) =>
    connect({
      host: '127.0.0.1',
      port: bank.port,
      ca: bank.caCert,
      timeoutMs: 5_000,
      ...terminalOptions(bank.terminal),
      credentials: { user, password: PASSWORD },
      register,
    });

  it('welcome.role says teller; serve, release and openAccount do what §5.2 says', async () => {
    const customer = await at('cora', true);
    if (!customer.ok) throw new Error(customer.error.message);
    expect(customer.value.role).toBe('customer');
    await customer.value.deposit(1_000);
    await customer.value.logout();

    const opened = await at('tess');
    if (!opened.ok) throw new Error(opened.error.message);
    const desk = opened.value;
    expect(desk.role).toBe('teller');
    expect(desk.servedCustomer).toBeNull();
    expect(await desk.balance()).toMatchObject({ ok: false, error: { code: 'NOT_SERVING' } });

    expect(await desk.serve('cora', PASSWORD)).toEqual({ ok: true, value: { user: 'cora', balanceCents: 1_000 } });
    expect(desk.servedCustomer).toBe('cora');
    expect(await desk.deposit(250)).toMatchObject({ ok: true, value: { balanceCents: 1_250 } });
    expect(await desk.release()).toEqual({ ok: true, value: {} });
    expect(desk.servedCustomer).toBeNull();
    expect(await desk.deposit(250)).toMatchObject({ ok: false, error: { code: 'NOT_SERVING' } });

    expect(await desk.serve('tess', PASSWORD)).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(await desk.serve('cora', 'Wrong-Password-1!')).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    expect(desk.servedCustomer).toBeNull();

    const made = await desk.openAccount('nina', 'Brand-New-Pass-1!', { id: 'open-nina' });
    expect(made).toEqual({ ok: true, value: { user: 'nina' } });
    // The same id again is the same answer, replayed, not a second account.
    expect(await desk.openAccount('nina', 'Brand-New-Pass-1!', { id: 'open-nina' })).toMatchObject({
      ok: true,
      value: { user: 'nina', replayed: true },
    });
    await desk.logout();
  });

  it('a customer sending serve gets INVALID_REQUEST', async () => {
    const customer = await at('cora');
    if (!customer.ok) throw new Error(customer.error.message);
    expect(await customer.value.serve('tess', PASSWORD)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
    await customer.value.logout();
  });
});
