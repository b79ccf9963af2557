/**
 * Charts drawn on the server as SVG (no library, no script). Each chart has a text twin: the
 * numbers in a table under "data", and a legend with words, so nothing is said by colour alone.
 */
import type { StatsRow } from '../../audit/query.js';
import type { ScoreBucket } from './deps.js';

export const actionKeys = ['delete', 'hide', 'review', 'reply', 'allow'] as const;
const actionColour: Record<(typeof actionKeys)[number], string> = {
  delete: '#cf222e',
  hide: '#8250df',
  review: '#bf8700',
  reply: '#0969da',
  allow: '#afb8c1',
};

/**
 * Decisions per day, stacked by action (most severe at the bottom). Drawn with HTML boxes rather
 * than SVG so that the labels keep their size from a phone to a wide screen.
 */
export function DailyChart(props: { rows: readonly StatsRow[]; days: readonly string[] }) {
  const byDay = new Map(props.rows.map((r) => [String(r.key).slice(0, 10), r]));
  const max = Math.max(1, ...props.days.map((d) => byDay.get(d)?.decisions ?? 0));
  const labelEvery = Math.ceil(props.days.length / 7);
  return (
    <figure style="margin:0">
      <div
        class="daychart"
        role="img"
        aria-label={`Decisions per day by action, ${props.days[0]} to ${props.days.at(-1)}, at most ${max} a day; the numbers are in the data table below`}
      >
        <span class="ymax">{String(max)}</span>
        {props.days.map((day) => {
          const row = byDay.get(day);
          return (
            <div class="day" title={`${day}: ${row?.decisions ?? 0} decisions`}>
              {actionKeys.map((a) => {
                const n = row ? row[a] : 0;
                if (!n) return null;
                return (
                  <span style={`height:${((n / max) * 100).toFixed(2)}%;background:${actionColour[a]}`} />
                );
              })}
            </div>
          );
        })}
      </div>
      <div class="daylabels" aria-hidden="true">
        {props.days.map((day, i) => (
          <span>{(props.days.length - 1 - i) % labelEvery === 0 ? day.slice(5) : ''}</span>
        ))}
      </div>
      <ul class="legend" aria-hidden="true">
        {actionKeys.map((a) => (
          <li>
            <span class="sw" style={`background:${actionColour[a]}`} />
            {a}
          </li>
        ))}
      </ul>
      <details>
        <summary>data</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>day</th>
                {actionKeys.map((a) => (
                  <th class="num">{a}</th>
                ))}
                <th class="num">total</th>
              </tr>
            </thead>
            <tbody>
              {props.days.map((d) => {
                const r = byDay.get(d);
                return (
                  <tr>
                    <td>{d}</td>
                    {actionKeys.map((a) => (
                      <td class="num">{String(r ? r[a] : 0)}</td>
                    ))}
                    <td class="num">{String(r?.decisions ?? 0)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** A ranked list with proportional bars and the number written out. */
export function BarList(props: {
  items: readonly { label: string; value: number; href?: string; note?: string }[];
  empty: string;
  unit: string;
}) {
  if (props.items.length === 0) return <p class="muted">{props.empty}</p>;
  const max = Math.max(1, ...props.items.map((i) => i.value));
  return (
    <ul class="bars">
      {props.items.map((i) => (
        <li>
          <span class="label" title={i.label}>
            {i.href ? <a href={i.href}>{i.label}</a> : i.label}
            {i.note ? <span class="muted small"> {i.note}</span> : null}
          </span>
          <span class="bar" style={`width:${((i.value / max) * 100).toFixed(1)}%`} aria-hidden="true" />
          <span class="num">{`${i.value} ${i.value === 1 ? props.unit.replace(/s$/, '') : props.unit}`}</span>
        </li>
      ))}
    </ul>
  );
}

/** One small histogram per classifier score (tenths from 0 to 1). */
export function ScoreHistograms(props: { buckets: readonly ScoreBucket[]; limit: number }) {
  const series = new Map<string, number[]>();
  for (const b of props.buckets) {
    const counts = series.get(b.series) ?? new Array<number>(10).fill(0);
    counts[b.bucket] = (counts[b.bucket] ?? 0) + b.count;
    series.set(b.series, counts);
  }
  const ranked = [...series.entries()]
    .map(([name, counts]) => ({ name, counts, total: counts.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
    .slice(0, props.limit);
  if (ranked.length === 0) return <p class="muted">No classifier scores in this period.</p>;
  const W = 300;
  const H = 110;
  return (
    <div class="grid">
      {ranked.map((s) => {
        const max = Math.max(1, ...s.counts);
        const bw = (W - 8) / 10;
        return (
          <figure style="margin:0">
            <figcaption class="small">
              <strong>{s.name}</strong> <span class="muted">{`${s.total} scores`}</span>
            </figcaption>
            <svg
              class="chart"
              viewBox={`0 0 ${W} ${H}`}
              role="img"
              aria-label={`${s.name} scores in tenths from 0 to 1: ${s.counts.join(', ')}`}
            >
              {s.counts.map((n, i) => {
                const h = (n / max) * (H - 30);
                return (
                  <rect
                    x={4 + i * bw + 1}
                    y={H - 18 - h}
                    width={bw - 2}
                    height={h}
                    fill={i >= 7 ? '#cf222e' : '#0969da'}
                  >
                    <title>{`${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${n}`}</title>
                  </rect>
                );
              })}
              <text x={4} y={H - 4}>
                0
              </text>
              <text x={W / 2} y={H - 4} text-anchor="middle">
                0.5
              </text>
              <text x={W - 4} y={H - 4} text-anchor="end">
                1
              </text>
            </svg>
          </figure>
        );
      })}
    </div>
  );
}
