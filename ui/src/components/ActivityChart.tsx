import type { ReactNode } from 'react';
import type { MessageStats } from '../lib/admin-api.ts';

const COLORS: Record<string, string> = { stored: '#2f9e44', mapped: '#1c7ed6', received: '#868e96', error: '#e03131' };
const STATUSES = ['stored', 'mapped', 'received', 'error'] as const;

/** Messages per hour over the window, stacked by status (SVG, no chart library); a table for screen readers. */
export function ActivityChart({ stats }: { stats: MessageStats }): ReactNode {
  const start = Date.parse(stats.since);
  const hours = Math.max(1, Math.round((Date.parse(stats.until) - start) / 3600_000));
  const buckets = Array.from({ length: hours }, () => ({ stored: 0, mapped: 0, received: 0, error: 0 }));
  for (const bucket of stats.hourly) {
    const index = Math.floor((Date.parse(bucket.hour) - start) / 3600_000);
    const slot = buckets[Math.max(0, Math.min(hours - 1, index))];
    slot[bucket.status] += bucket.count;
  }
  const max = Math.max(1, ...buckets.map((b) => b.stored + b.mapped + b.received + b.error));
  const width = 720;
  const height = 140;
  const barWidth = width / hours;
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${width} ${height + 16}`} width="100%" role="img" aria-label={`Messages per hour over the last ${hours} hours, at most ${max} in an hour`} data-testid="activity-chart">
        <line x1={0} y1={height} x2={width} y2={height} stroke="#adb5bd" />
        {buckets.map((bucket, i) => {
          let y = height;
          return STATUSES.map((status) => {
            const h = (bucket[status] / max) * (height - 4);
            if (h === 0) return null;
            y -= h;
            return <rect key={`${i}-${status}`} x={i * barWidth + 1} y={y} width={Math.max(1, barWidth - 2)} height={h} fill={COLORS[status]} />;
          });
        })}
        <text x={0} y={height + 14} fontSize={11} fill="#495057">
          {new Date(start).toLocaleString()}
        </text>
        <text x={width} y={height + 14} fontSize={11} fill="#495057" textAnchor="end">
          now
        </text>
      </svg>
      <figcaption style={{ fontSize: 12, color: '#495057' }}>
        {STATUSES.map((status) => (
          <span key={status} style={{ marginRight: 12 }}>
            <span aria-hidden style={{ display: 'inline-block', width: 10, height: 10, background: COLORS[status], marginRight: 4 }} />
            {status}
          </span>
        ))}
        peak {max} per hour
      </figcaption>
    </figure>
  );
}
