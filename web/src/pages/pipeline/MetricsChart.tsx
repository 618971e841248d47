/** One poll of the pipeline's metrics. */
export interface MetricsPoint {
  readonly at: number;
  readonly value: number | null;
}

const WIDTH = 320;
const HEIGHT = 90;
const PAD = 4;

/**
 * A line of values over time, drawn as SVG: small enough to need no chart library. The figure
 * is named with the latest value, for those who cannot see the line.
 */
export function MetricsChart({
  title,
  unit,
  points,
}: {
  readonly title: string;
  readonly unit: string;
  readonly points: readonly MetricsPoint[];
}) {
  const known = points.filter((point): point is { at: number; value: number } => point.value !== null);
  const latest = known[known.length - 1]?.value;
  const max = Math.max(1, ...known.map((point) => point.value));
  const first = points[0]?.at ?? 0;
  const span = Math.max(1, (points[points.length - 1]?.at ?? 0) - first);
  const line = known
    .map((point) => {
      const x = PAD + ((point.at - first) / span) * (WIDTH - 2 * PAD);
      const y = HEIGHT - PAD - (point.value / max) * (HEIGHT - 2 * PAD);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  const summary =
    latest === undefined
      ? `${title}: no value yet`
      : `${title}: ${formatted(latest)} ${unit} now, at most ${formatted(max)} ${unit} since this page opened`;
  return (
    <figure className="chart">
      <figcaption>
        {title} <span className="hint">({latest === undefined ? 'no value yet' : `${formatted(latest)} ${unit}`})</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <rect x="0" y="0" width={WIDTH} height={HEIGHT} className="chart-frame" />
        {known.length > 1 ? <polyline points={line} className="chart-line" /> : null}
        <text x={WIDTH - PAD} y={PAD + 10} textAnchor="end" className="chart-label">
          {formatted(max)}
        </text>
      </svg>
    </figure>
  );
}

const formatted = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));
