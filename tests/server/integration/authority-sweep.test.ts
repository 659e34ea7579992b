import { describe, expect, it } from 'vitest';
import { expiryReason, sweepSessions } from '../../../server/session/authority-sweep.js';

const session = { accountId: 1, passwordHash: 'h1', pendingPasswordHash: undefined, openedAt: 1_000 };
const active = { status: 'active' as const, locked: false, passwordHash: 'h1' };
const MAX = 1_800_000;

describe('session authority sweep', () => {
  it('keeps a session whose account is unchanged and young enough', () => {
    expect(expiryReason(session, active, 1_000 + MAX - 1, MAX)).toBeNull();
  });

  it('ends it for an operator lock, a close, a password change elsewhere, or the maximum length', () => {
    expect(expiryReason(session, { ...active, locked: true }, 2_000, MAX)).toMatch(/locked/);
    expect(expiryReason(session, { ...active, status: 'closed' }, 2_000, MAX)).toMatch(/closed/);
    expect(expiryReason(session, null, 2_000, MAX)).toMatch(/closed/);
    expect(expiryReason(session, { ...active, passwordHash: 'h2' }, 2_000, MAX)).toMatch(/password/);
    expect(expiryReason(session, active, 1_000 + MAX, MAX)).toMatch(/maximum/);
  });

  it('does not end the session whose own password change is being applied', () => {
    expect(
      expiryReason({ ...session, pendingPasswordHash: 'h2' }, { ...active, passwordHash: 'h2' }, 2_000, MAX),
    ).toBeNull();
  });

  it('tells exactly the sessions that lost their authority to end', async () => {
    const ended: string[] = [];
    const make = (name: string, accountId: number) => ({
      session: { ...session, accountId },
      expire: async (reason: string) => {
        ended.push(`${name}: ${reason}`);
      },
    });
    const accounts = new Map([
      [1, active],
      [2, { ...active, locked: true }],
    ]);
    const count = await sweepSessions({
      sessions: () => [make('a', 1), make('b', 2), { session: null, expire: async () => {} }],
      store: { getAccount: (id) => accounts.get(id) ?? null },
      clock: () => 2_000,
      maxSessionMs: MAX,
    });
    expect(count).toBe(1);
    expect(ended).toEqual(['b: the account was locked by the bank']);
  });
});
