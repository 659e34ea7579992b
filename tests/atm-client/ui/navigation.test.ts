import { describe, expect, it } from 'vitest';
import { navigate, needsSession, parentOf, type Route } from '../../../atm-client/ui/navigation.js';

const receipt: Route = {
  screen: 'receipt',
  receipt: { kind: 'deposit', amountCents: 100, txId: 'T000000000001', balanceCents: 100, at: 0 },
};

describe('navigation', () => {
  it('Esc leads to the parent of each screen', () => {
    expect(parentOf({ screen: 'login' })).toEqual({ screen: 'welcome' });
    expect(parentOf({ screen: 'register' })).toEqual({ screen: 'welcome' });
    expect(parentOf({ screen: 'login-totp', user: 'alice', password: 'x' })).toEqual({
      screen: 'login',
      user: 'alice',
    });
    expect(parentOf({ screen: 'withdraw' })).toEqual({ screen: 'menu' });
    expect(parentOf({ screen: 'history' })).toEqual({ screen: 'menu' });
    expect(parentOf(receipt)).toEqual({ screen: 'menu' });
    expect(parentOf({ screen: 'menu', banner: 'hi' })).toEqual({ screen: 'menu' });
    expect(parentOf({ screen: 'welcome', banner: 'bye' })).toEqual({ screen: 'welcome' });
  });

  it('an error screen goes back to where the error happened, by default', () => {
    const error = { code: 'INSUFFICIENT_FUNDS' as const, message: 'low' };
    const shown = navigate({ screen: 'withdraw' }, { type: 'fail', error });
    expect(shown).toEqual({ screen: 'error', error, back: { screen: 'withdraw' } });
    expect(navigate(shown, { type: 'back' })).toEqual({ screen: 'withdraw' });
    expect(navigate({ screen: 'balance' }, { type: 'fail', error, back: { screen: 'menu' } })).toMatchObject({
      back: { screen: 'menu' },
    });
  });

  it('an error that ends the session always leads back to the start', () => {
    const error = { code: 'CONNECTION_LOST' as const, message: 'gone' };
    expect(navigate({ screen: 'withdraw' }, { type: 'fail', error, back: { screen: 'menu' } })).toEqual({
      screen: 'error',
      error,
      back: { screen: 'welcome' },
    });
  });

  it('a lost session shows the ended screen; reset returns to welcome with a banner', () => {
    const error = { code: 'SERVER_SHUTDOWN' as const, message: 'bye' };
    expect(navigate({ screen: 'menu' }, { type: 'session-lost', error })).toEqual({ screen: 'ended', error });
    expect(navigate({ screen: 'ended', error }, { type: 'reset' })).toEqual({ screen: 'welcome' });
    expect(navigate({ screen: 'menu' }, { type: 'reset', banner: 'bye' })).toEqual({
      screen: 'welcome',
      banner: 'bye',
    });
  });

  it('knows which screens need a session', () => {
    expect(needsSession({ screen: 'welcome' })).toBe(false);
    expect(needsSession({ screen: 'login' })).toBe(false);
    expect(needsSession({ screen: 'menu' })).toBe(true);
    expect(needsSession(receipt)).toBe(true);
    const error = { code: 'AUTH_FAILED' as const, message: 'no' };
    expect(needsSession({ screen: 'error', error, back: { screen: 'login' } })).toBe(false);
    expect(needsSession({ screen: 'error', error, back: { screen: 'deposit' } })).toBe(true);
  });
});
