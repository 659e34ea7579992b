import { describe, expect, it } from 'vitest';
import { connect } from '../../../atm-client/client/index.js';
import { revokeTerminal } from '../../../server/ledger/index.js';
import { suiteBank, withLedger } from '../../helpers/test-bank.js';
import { terminalOptions } from '../../helpers/test-terminal.js';

const PASSWORD = 'Correct-Horse-42!';

// The client library against a real bank: with a terminal certificate the session is a terminal
// session named by the certificate's CN; without one it is remote and cash is refused.
describe('client library: terminal and remote sessions', () => {
  const bank = suiteBank();

  const options = () => ({ host: '127.0.0.1', port: bank.port, ca: bank.caCert, timeoutMs: 5_000 });

  it('with --terminal-cert/--terminal-key: terminal is the CN, hello carries it, cash moves', async () => {
    const opened = await connect({
      ...options(),
      ...terminalOptions(bank.terminal),
      credentials: { user: 'tina', password: PASSWORD },
      register: true,
    });
    if (!opened.ok) throw new Error(opened.error.message);
    const session = opened.value;
    expect(session.terminal).toBe('ATM-TEST-1');
    expect(await session.deposit(2_500)).toMatchObject({ ok: true, value: { balanceCents: 2_500 } });
    const withdrawn = await session.withdraw(1_000);
    if (!withdrawn.ok) throw new Error(withdrawn.error.message);
    expect(await session.reverse(withdrawn.value.txId, 'NOT_DISPENSED')).toMatchObject({ ok: true });
    await session.logout();
  });

  it('without a certificate: terminal is null and deposit/withdraw/reverse are TERMINAL_REQUIRED', async () => {
    const opened = await connect({ ...options(), credentials: { user: 'tina', password: PASSWORD } });
    if (!opened.ok) throw new Error(opened.error.message);
    const session = opened.value;
    expect(session.terminal).toBeNull();
    expect(await session.deposit(100)).toMatchObject({ ok: false, error: { code: 'TERMINAL_REQUIRED' } });
    expect(await session.withdraw(100)).toMatchObject({ ok: false, error: { code: 'TERMINAL_REQUIRED' } });
    expect(await session.reverse('T000000000001', 'NOT_DISPENSED')).toMatchObject({
      ok: false,
      error: { code: 'TERMINAL_REQUIRED' },
    });
    expect(await session.balance()).toMatchObject({ ok: true, value: { balanceCents: 2_500 } });
    await session.logout();
  });

  it('a certificate without its key is a clear TLS_ERROR before anything is sent', async () => {
    const opened = await connect({
      ...options(),
      terminalCert: bank.terminal.cert,
      credentials: { user: 'tina', password: PASSWORD },
    });
    expect(opened).toMatchObject({ ok: false, error: { code: 'TLS_ERROR', message: expect.stringMatching(/key/) } });
  });

  it('a revoked certificate is TERMINAL_REFUSED', async () => {
    const gone = await bank.enrolTerminal('ATM-GONE');
    withLedger(bank, (store) => revokeTerminal(store, 'ATM-GONE', new Date().toISOString()));
    const opened = await connect({
      ...options(),
      ...terminalOptions(gone),
      credentials: { user: 'tina', password: PASSWORD },
    });
    expect(opened).toMatchObject({ ok: false, error: { code: 'TERMINAL_REFUSED' } });
  });
});
