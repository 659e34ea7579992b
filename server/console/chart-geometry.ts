/**
 * Points for a small line chart, drawn by the dashboard as hand-made SVG. Pure (the browser
 * loads it as /assets/chart-geometry.js): values on a fixed time axis of `capacity` slots ending
 * at the right edge, scaled from 0 to their maximum.
 */
export interface ChartGeometry {
  /** `points` for an SVG polyline, or "" when there is nothing to draw. */
  line: string;
  /** `points` for the filled polygon under the line. */
  area: string;
  max: number;
  last: number | null;
  /** Where the newest value sits, for a dot (a single value draws no line). */
  lastPoint: { x: string; y: string } | null;
  samples: number;
}

export function chartGeometry(
  values: readonly (number | null)[],
  size: { width: number; height: number; capacity: number },
): ChartGeometry {
  const { width, height, capacity } = size;
  const recent = values.slice(-capacity);
  const offset = capacity - recent.length;
  const seen = recent.filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(0, ...seen);
  const scale = max > 0 ? (height - 2) / max : 0;
  const step = capacity > 1 ? width / (capacity - 1) : 0;
  const points: string[] = [];
  let lastPoint: { x: string; y: string } | null = null;
  let firstX: string | null = null;
  let lastX = '0';
  recent.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    const x = ((offset + i) * step).toFixed(1);
    const y = (height - 1 - v * scale).toFixed(1);
    firstX ??= x;
    lastX = x;
    lastPoint = { x, y };
    points.push(`${x},${y}`);
  });
  const line = points.join(' ');
  const area = firstX === null ? '' : `${firstX},${height} ${line} ${lastX},${height}`;
  return { line, area, max, last: seen.at(-1) ?? null, lastPoint, samples: seen.length };
}
