import { performance } from 'node:perf_hooks';
import { hashSync } from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHasher } from '../../../server/auth/index.js';

const PASSWORD = 'Correct-Horse-9';
let hasher: PasswordHasher | undefined;

function make(cost: number, workers?: number): PasswordHasher {
  hasher = createPasswordHasher(workers === undefined ? { cost } : { cost, workers });
  return hasher;
}

afterEach(async () => {
  await hasher?.close();
  hasher = undefined;
});

describe('createPasswordHasher', () => {
  it('hashes with the configured cost and verifies only the right password', async () => {
    const h = make(4, 2);
    const hash = await h.hash(PASSWORD);
    expect(hash).toMatch(/^\$2[aby]\$04\$[./A-Za-z0-9]{53}$/);
    expect(await h.verify(PASSWORD, hash)).toBe(true);
    expect(await h.verify('Correct-Horse-8', hash)).toBe(false);
    expect(await h.verify('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const h = make(4, 2);
    const [a, b] = await Promise.all([h.hash(PASSWORD), h.hash(PASSWORD)]);
    expect(a).not.toBe(b);
  });

  it('verifies hashes made elsewhere by bcryptjs', async () => {
    const h = make(4, 1);
    const hash = hashSync(PASSWORD, 5);
    expect(await h.verify(PASSWORD, hash)).toBe(true);
    expect(await h.verify(`${PASSWORD}x`, hash)).toBe(false);
  });

  it('verifyDummy is always false, even for the empty password', async () => {
    const h = make(4, 1);
    expect(await h.verifyDummy(PASSWORD)).toBe(false);
    expect(await h.verifyDummy('')).toBe(false);
  });

  it('queues work beyond the pool size and answers each job with its own result', async () => {
    const h = make(4, 1);
    const hash = await h.hash(PASSWORD);
    const guesses = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? PASSWORD : `${PASSWORD}${i}`));
    const results = await Promise.all(guesses.map((guess) => h.verify(guess, hash)));
    expect(results).toEqual(guesses.map((guess) => guess === PASSWORD));
  });

  it('treats a hash of the wrong length as no match and an unparsable one as HASH_INVALID', async () => {
    const h = make(4, 1);
    expect(await h.verify(PASSWORD, 'not a hash')).toBe(false);
    await expect(h.verify(PASSWORD, `$9z$04$${'a'.repeat(53)}`)).rejects.toMatchObject({ code: 'HASH_INVALID' });
    // The pool survives a bad job.
    expect(await h.verify(PASSWORD, await h.hash(PASSWORD))).toBe(true);
  });

  it('close fails queued and later jobs with HASHER_CLOSED', async () => {
    const h = make(8, 1);
    const jobs = Array.from({ length: 4 }, () => h.hash(PASSWORD));
    const settled = Promise.allSettled(jobs);
    await h.close();
    const outcomes = await settled;
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'HASHER_CLOSED' });
    await expect(h.verify(PASSWORD, 'x')).rejects.toMatchObject({ code: 'HASHER_CLOSED' });
    await h.close();
  });

  it('rejects a cost or pool size outside the bounds', () => {
    expect(() => createPasswordHasher({ cost: 3 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ cost: 32 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ cost: 10.5 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ cost: 10, workers: 0 })).toThrow(RangeError);
  });

  it('keeps the event loop responsive while a cost-10 hash runs', async () => {
    // Baseline: what the same hash costs when it blocks this thread.
    const started = performance.now();
    hashSync(PASSWORD, 10);
    const blockingMs = performance.now() - started;

    const h = make(10, 1);
    await h.hash('warm-up the worker'); // worker start-up is not what this test measures
    let last = performance.now();
    let maxLagMs = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxLagMs = Math.max(maxLagMs, now - last);
      last = now;
    }, 1);
    try {
      await h.hash(PASSWORD);
    } finally {
      clearInterval(timer);
    }
    // Loose on purpose: on the event loop the lag would be at least the whole hash.
    expect(maxLagMs).toBeLessThan(blockingMs / 2);
  });
});
