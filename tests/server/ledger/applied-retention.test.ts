import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunRetention } from '../../../server/ledger/applied-retention.js';
import { customer, T0, type TempLedger, tempLedger } from './ledger-fixture.js';

const DAY = 24 * 3600 * 1000;
const HOUR = 3600 * 1000;

/** A monotonic clock the test moves: running time, which no wall-clock jump touches. */
function running() {
  let ms = 1_000;
  return { read: () => ms, run: (by: number) => (ms += by) };
}

describe('RunRetention', () => {
  it('keeps every id of this run until the run itself is older than the retention', () => {
    const mono = running();
    const retention = new RunRetention(T0, mono.read);
    expect(retention.notAfterMs(DAY)).toBe(T0);
    mono.run(DAY + 5 * HOUR);
    expect(retention.notAfterMs(DAY)).toBe(T0 + 5 * HOUR);
  });
});

describe('pruning applied ids across a forward clock jump', () => {
  let fx: TempLedger;
  let alice: number;
  beforeEach(() => {
    fx = tempLedger();
    alice = customer(fx.store, 'alice');
  });
  afterEach(() => fx.cleanup());

  /** One id applied a second before the wall clock jumps 30 h forward, while the server runs. */
  function appliedThenJump() {
    const mono = running();
    const retention = new RunRetention(fx.clock.now, mono.read);
    fx.store.recordApplied(alice, 'deposit-1', 'hash', { txId: 'T000000000001' }, fx.clock.now);
    mono.run(1_000);
    fx.clock.advance(30 * HOUR);
    return { retention, mono };
  }

  it('keeps an id applied a second ago by running time, though the wall clock says 30 h', () => {
    const { retention } = appliedThenJump();
    expect(fx.store.pruneApplied(DAY, retention.notAfterMs(DAY))).toBe(0);
    expect(fx.store.findApplied(alice, 'deposit-1')).not.toBeNull();
    // By wall-clock age alone (the old rule) the id would go, and its re-send would apply again.
    expect(fx.store.pruneApplied(DAY)).toBe(1);
  });

  it('forgets it once it is older than the retention by running time too', () => {
    const { retention, mono } = appliedThenJump();
    mono.run(DAY);
    fx.clock.advance(DAY);
    expect(fx.store.pruneApplied(DAY, retention.notAfterMs(DAY))).toBe(1);
    expect(fx.store.findApplied(alice, 'deposit-1')).toBeNull();
  });

  it('forgets ids of an earlier run by their wall-clock age', () => {
    fx.store.recordApplied(alice, 'old-run', 'hash', { txId: 'T000000000001' }, fx.clock.now);
    fx.clock.advance(DAY + HOUR);
    const retention = new RunRetention(fx.clock.now, running().read);
    expect(fx.store.pruneApplied(DAY, retention.notAfterMs(DAY))).toBe(1);
  });
});
