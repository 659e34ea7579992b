import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { createKeyRouter } from '../../../atm-client/ui/key-router.js';
import { NO_KEY, splitKeystrokes } from '../../../atm-client/ui/keystrokes.js';

describe('splitKeystrokes', () => {
  it('leaves a single key alone', () => {
    const key = { ...NO_KEY, return: true };
    expect(splitKeystrokes('', key)).toEqual([{ input: '', key }]);
    expect(splitKeystrokes('a', NO_KEY)).toEqual([{ input: 'a', key: NO_KEY }]);
    expect(splitKeystrokes('😀', NO_KEY)).toEqual([{ input: '😀', key: NO_KEY }]);
  });

  it('splits a chunk into keys, with Enter, Tab and backspace recognised', () => {
    const keys = splitKeystrokes('aB\r\t\u007F\b\n', NO_KEY);
    expect(keys.map((k) => k.input)).toEqual(['a', 'B', '', '', '', '', '']);
    expect(keys[1]?.key.shift).toBe(true);
    expect(keys[2]?.key.return).toBe(true);
    expect(keys[3]?.key.tab).toBe(true);
    expect(keys[4]?.key.delete).toBe(true);
    expect(keys[5]?.key.backspace).toBe(true);
    expect(keys[6]?.key.return).toBe(true);
  });

  it('keeps modified keys whole', () => {
    const key = { ...NO_KEY, meta: true };
    expect(splitKeystrokes('ab', key)).toEqual([{ input: 'ab', key }]);
  });
});

describe('key router', () => {
  function setup() {
    const deferred: Array<() => void> = [];
    const router = createKeyRouter((next) => deferred.push(next));
    const heard: string[] = [];
    const handler = { current: (input: string, key: Key) => heard.push(key.return ? '⏎' : input) };
    const stop = router.add(handler);
    const runDeferred = () => {
      while (deferred.length > 0) deferred.shift()?.();
    };
    return { router, heard, stop, runDeferred };
  }

  it('hears the first key at once and the rest of a chunk on the next turn, in order', () => {
    const { router, heard, runDeferred } = setup();
    router.dispatch('ab\rc', NO_KEY);
    expect(heard).toEqual(['a']);
    router.dispatch('d', NO_KEY); // arrives while the chunk is still queued
    expect(heard).toEqual(['a']);
    runDeferred();
    expect(heard).toEqual(['a', 'b', '⏎', 'c', 'd']);
  });

  it('stops telling a handler once it is removed', () => {
    const { router, heard, stop } = setup();
    router.dispatch('x', NO_KEY);
    stop();
    router.dispatch('y', NO_KEY);
    expect(heard).toEqual(['x']);
  });
});
