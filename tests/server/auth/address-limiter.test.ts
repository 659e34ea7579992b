import { describe, expect, it } from 'vitest';
import { AddressLimiter, FAILED_LOGIN_WINDOW_MS, MAX_TRACKED_ADDRESSES } from '../../../server/auth/index.js';

function setup(maxFailedLoginsPerMinute = 3, maxConnectionsPerAddress = 2) {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms) };
  const limiter = new AddressLimiter({ maxFailedLoginsPerMinute, maxConnectionsPerAddress }, () => now);
  return { limiter, clock };
}

describe('AddressLimiter failed logins', () => {
  it('limits an address once it reaches the maximum within 60 s', () => {
    const { limiter, clock } = setup(3);
    for (let i = 0; i < 2; i++) {
      limiter.noteFailedLogin('10.0.0.1');
      clock.advance(1000);
    }
    expect(limiter.isLoginRateLimited('10.0.0.1')).toBe(false);
    limiter.noteFailedLogin('10.0.0.1');
    expect(limiter.isLoginRateLimited('10.0.0.1')).toBe(true);
    expect(limiter.isLoginRateLimited('10.0.0.2')).toBe(false);
  });

  it('slides: the oldest failure leaving the window lifts the limit', () => {
    const { limiter, clock } = setup(3);
    limiter.noteFailedLogin('a'); // t = 0
    clock.advance(30_000);
    limiter.noteFailedLogin('a'); // t = 30 s
    limiter.noteFailedLogin('a');
    expect(limiter.isLoginRateLimited('a')).toBe(true);
    clock.advance(FAILED_LOGIN_WINDOW_MS - 30_000 - 1); // t = 60 s − 1 ms: first failure still counts
    expect(limiter.isLoginRateLimited('a')).toBe(true);
    clock.advance(1); // t = 60 s: it has left the window
    expect(limiter.isLoginRateLimited('a')).toBe(false);
    limiter.noteFailedLogin('a');
    expect(limiter.isLoginRateLimited('a')).toBe(true);
  });

  it('forgets addresses whose failures are all older than the window', () => {
    const { limiter, clock } = setup(5);
    for (let i = 0; i < 1000; i++) limiter.noteFailedLogin(`192.0.2.${i}`);
    expect(limiter.trackedAddresses).toBe(1000);
    clock.advance(FAILED_LOGIN_WINDOW_MS + 1);
    limiter.noteFailedLogin('198.51.100.1');
    expect(limiter.trackedAddresses).toBe(1);
  });

  it('keeps memory per address bounded however many failures it sends', () => {
    const { limiter, clock } = setup(3);
    for (let i = 0; i < 10_000; i++) {
      limiter.noteFailedLogin('a');
      clock.advance(1);
    }
    expect(limiter.trackedAddresses).toBe(1);
    expect(limiter.isLoginRateLimited('a')).toBe(true);
    clock.advance(FAILED_LOGIN_WINDOW_MS);
    expect(limiter.isLoginRateLimited('a')).toBe(false);
    expect(limiter.trackedAddresses).toBe(0);
  });

  it('caps the number of tracked addresses, evicting the quietest', () => {
    const { limiter } = setup(1);
    limiter.noteFailedLogin('first');
    for (let i = 0; i < MAX_TRACKED_ADDRESSES; i++) limiter.noteFailedLogin(`h${i}`);
    expect(limiter.trackedAddresses).toBe(MAX_TRACKED_ADDRESSES);
    expect(limiter.isLoginRateLimited('first')).toBe(false);
    expect(limiter.isLoginRateLimited(`h${MAX_TRACKED_ADDRESSES - 1}`)).toBe(true);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => new AddressLimiter({ maxFailedLoginsPerMinute: 0, maxConnectionsPerAddress: 1 })).toThrow(RangeError);
    expect(() => new AddressLimiter({ maxFailedLoginsPerMinute: 1, maxConnectionsPerAddress: 1.5 })).toThrow(
      RangeError,
    );
  });
});

describe('AddressLimiter connections', () => {
  it('counts concurrent connections per address', () => {
    const { limiter } = setup(3, 2);
    expect(limiter.tryOpenConnection('a')).toBe(true);
    expect(limiter.tryOpenConnection('a')).toBe(true);
    expect(limiter.tryOpenConnection('a')).toBe(false);
    expect(limiter.tryOpenConnection('b')).toBe(true);
    limiter.releaseConnection('a');
    expect(limiter.tryOpenConnection('a')).toBe(true);
    expect(limiter.tryOpenConnection('a')).toBe(false);
  });

  it('forgets an address when its last connection closes, and ignores extra releases', () => {
    const { limiter } = setup(3, 2);
    limiter.tryOpenConnection('a');
    limiter.tryOpenConnection('a');
    limiter.releaseConnection('a');
    limiter.releaseConnection('a');
    expect(limiter.trackedAddresses).toBe(0);
    limiter.releaseConnection('a');
    expect(limiter.trackedAddresses).toBe(0);
    expect(limiter.tryOpenConnection('a')).toBe(true);
    expect(limiter.tryOpenConnection('a')).toBe(true);
    expect(limiter.tryOpenConnection('a')).toBe(false);
  });
});
