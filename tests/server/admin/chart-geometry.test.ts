import { describe, expect, it } from 'vitest';
import { chartGeometry } from '../../../server/console/chart-geometry.js';
import { bucketed, type Tick } from '../../../server/console/figures-math.js';
import { sparkline } from '../../../server/console/sparkline.js';

describe('chart geometry', () => {
  it('puts the newest value at the right edge and scales the largest to the top', () => {
    const g = chartGeometry([1, null, 4], { width: 100, height: 42, capacity: 5 });
    // Five slots 25 wide; the three values sit in the last three. Height 42: 40 px for 4, so 4 -> y 41 - 40 = 1 and 1 -> 41 - 10 = 31.
    expect(g.line).toBe('50.0,31.0 100.0,1.0');
    expect(g.area).toBe('50.0,42 50.0,31.0 100.0,1.0 100.0,42');
    expect(g).toMatchObject({ max: 4, last: 4, samples: 2, lastPoint: { x: '100.0', y: '1.0' } });
  });

  it('draws nothing without values and keeps only the newest capacity', () => {
    expect(chartGeometry([null, null], { width: 10, height: 10, capacity: 4 })).toMatchObject({
      line: '',
      area: '',
      samples: 0,
      lastPoint: null,
    });
    expect(chartGeometry([9, 1, 2], { width: 10, height: 10, capacity: 2 }).max).toBe(2);
  });
});

describe('sparklines', () => {
  it('scale to the maximum and leave gaps where nothing was measured', () => {
    // Levels 0..7: 4 of 8 is 3.5, rounded to 4 (▅); 2 of 8 is 1.75, rounded to 2 (▃).
    expect(sparkline([0, 4, 8, null, 2])).toBe('▁▅█ ▃');
    expect(sparkline([0, 0])).toBe('▁▁');
  });

  it('average the ticks that fall in each time bucket', () => {
    const tick = (atMs: number, reqPerSec: number) => ({ atMs, reqPerSec }) as Tick;
    const ticks = [tick(1_000, 2), tick(4_000, 4), tick(6_000, 9), tick(9_500, 1)];
    // Three 5 s buckets ending at 10 s: (-5, 0], (0, 5], (5, 10].
    expect(bucketed(ticks, (t) => t.reqPerSec, 3, 5_000, 10_000)).toEqual([null, 3, 5]);
  });
});
