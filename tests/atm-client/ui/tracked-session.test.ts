import { describe, expect, it } from 'vitest';
import { trackActivity } from '../../../atm-client/ui/tracked-session.js';
import { FakeBank } from '../../helpers/fake-bank.js';

describe('trackActivity', () => {
  it('stamps activity once per request and passes calls through unchanged', async () => {
    const bank = new FakeBank();
    bank.addAccount('alice', { balanceCents: 5000 });
    const login = await bank.login({ user: 'alice', password: 'Correct-Horse-9' });
    if (!login.ok) throw new Error('login failed');
    let stamps = 0;
    const session = trackActivity(login.value, () => stamps++);

    expect(session.user).toBe('alice');
    expect(session.idleTimeoutSec).toBe(300);
    await expect(session.balance()).resolves.toEqual({
      ok: true,
      value: {
        balanceCents: 5000,
        currency: 'USD',
        dailyWithdrawalRemainingCents: 200_000,
        maxAmountCents: 100_000_000,
        twoFactor: false,
      },
    });
    await session.withdraw(1000);
    await session.history({ limit: 2 });
    await session.ping();
    expect(stamps).toBe(4);
    expect(bank.callsOf('withdraw')).toEqual([{ op: 'withdraw', args: [1000] }]);

    // Subscriptions and close are not requests.
    const stop = session.onClose(() => {});
    stop();
    session.close();
    expect(stamps).toBe(4);
  });
});
