import { describe, expect, it } from 'vitest';
import type { PeerResponse } from '../../helpers/scripted-bank-peer.js';
import { PASSWORD, peerFixture } from './peer-fixture.js';

const fixture = peerFixture();

/** A refusal carrying protocol/README.md §6 detail fields beside code and message. */
function refusal(error: Record<string, unknown>): { kind: 'respond'; response: PeerResponse } {
  return { kind: 'respond', response: { ok: false, error } as unknown as PeerResponse };
}

describe('error detail fields reach the caller', () => {
  it('remainingCents, maxAmountCents and reason are kept; unknown fields are not', async () => {
    const answers = [
      refusal({ code: 'LIMIT_EXCEEDED', message: 'limit', remainingCents: 1234, extra: 'ignored' }),
      refusal({ code: 'INVALID_AMOUNT', message: 'too big', maxAmountCents: 50_000 }),
      refusal({ code: 'TOTP_INVALID', message: 'used', reason: 'USED' }),
    ];
    const peer = await fixture.start({ onRequest: () => answers.shift() });
    const opened = await fixture.connector(peer).login({ user: 'alice', password: PASSWORD });
    if (!opened.ok) throw new Error(opened.error.code);
    const session = opened.value;
    expect(await session.withdraw(5_000)).toEqual({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED', message: 'limit', remainingCents: 1234 },
    });
    expect(await session.deposit(900_000)).toEqual({
      ok: false,
      error: { code: 'INVALID_AMOUNT', message: 'too big', maxAmountCents: 50_000 },
    });
    expect(await session.totpConfirm('123456')).toEqual({
      ok: false,
      error: { code: 'TOTP_INVALID', message: 'used', reason: 'USED' },
    });
    expect(session.terminal).toBeNull();
    session.close();
  });
});
