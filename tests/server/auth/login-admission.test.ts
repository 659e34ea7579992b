import { describe, expect, it } from 'vitest';
import { LoginAdmission } from '../../../server/auth/login-admission.js';

describe('LoginAdmission: the per-address cap', () => {
  it('leaves room for another address after checks ran slower than the average', async () => {
    let now = 0;
    const admission = new LoginAdmission({
      workers: 1,
      initialCheckMs: 100,
      marginMs: 1_500,
      handshakeBudgetMs: 10_000,
      clock: () => now,
    });
    // One check took 400 ms: the average is 160 ms, the pessimistic estimate 400 ms.
    expect(await admission.acquire(undefined)).toBe(true);
    admission.finishRun(400);
    now = 1_000;
    const deadline = now + 10_000;
    const flood: string[] = [];
    for (let i = 0; i < 40; i++) {
      const admitted = admission.tryAdmit('10.0.0.1', deadline);
      flood.push(admitted.ok ? 'ok' : admitted.reason);
    }
    // 8.5 s of budget at 400 ms per check holds 21 checks; one address may take half of them.
    expect(flood.filter((r) => r === 'ok')).toHaveLength(10);
    expect(flood.slice(10).every((r) => r === 'address')).toBe(true);
    const other = admission.tryAdmit('10.0.0.2', deadline);
    expect(other.ok).toBe(true);
  });
});
