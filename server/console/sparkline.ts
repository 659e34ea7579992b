/** Eight levels of block, lowest first; a gap where a bucket had no value. */
const BLOCKS = '▁▂▃▄▅▆▇█';

/** A one-line chart of the values, scaled from 0 to their maximum (or `max` if larger). */
export function sparkline(values: readonly (number | null)[], max = 0): string {
  const top = Math.max(max, ...values.map((v) => v ?? 0));
  return values
    .map((v) => {
      if (v === null) return ' ';
      if (top <= 0) return BLOCKS[0];
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.round((v / top) * (BLOCKS.length - 1)))];
    })
    .join('');
}
