"use client";

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { bucketLabel, formatSeconds, formatSecondsShort, OUTCOMES, SERIES_COLORS, type Summary, type Timeline } from "./dashboard-format";

/*
 * The dashboard's charts (recharts). Loaded with next/dynamic after the page: the numbers are in
 * the server-rendered tables beside each chart (dashboard-tables.tsx), which is what screen
 * readers read, so the charts are hidden from them (and carry no keyboard layer of their own).
 */

const HEIGHT = 240;
const AXIS = { fontSize: 12, fill: "#334155" };
const GRID = "#e2e8f0";

function Frame({ children }: { children: React.ReactElement }) {
  return (
    <ResponsiveContainer width="100%" height={HEIGHT} minWidth={0}>
      {children}
    </ResponsiveContainer>
  );
}

export function ActiveGrantsChart({ points, stepHours }: { points: Timeline["activeGrants"]; stepHours: number }) {
  const data = points.map((p) => ({ label: bucketLabel(p.start, stepHours), active: p.active }));
  return (
    <Frame>
      <BarChart data={data} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="label" tick={AXIS} interval="preserveStartEnd" minTickGap={16} />
        <YAxis allowDecimals={false} tick={AXIS} />
        <Tooltip />
        <Bar dataKey="active" name="Active grants" fill={SERIES_COLORS.primary} isAnimationActive={false} />
      </BarChart>
    </Frame>
  );
}

function Patterns() {
  return (
    <defs>
      {OUTCOMES.filter((o) => o.pattern).map((o) => (
        <pattern key={o.key} id={`outcome-${o.key}`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" fill={o.color} />
          {o.pattern === "hatch" ? <line x1="0" y1="0" x2="0" y2="6" stroke="#fff" strokeWidth="2" /> : <circle cx="3" cy="3" r="1.2" fill="#fff" />}
        </pattern>
      ))}
    </defs>
  );
}

export function OutcomesChart({ points }: { points: Summary["outcomes"] }) {
  const data = points.map((p) => ({ ...p, label: bucketLabel(p.start, 24) }));
  return (
    <Frame>
      <BarChart data={data} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <Patterns />
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="label" tick={AXIS} interval="preserveStartEnd" minTickGap={16} />
        <YAxis allowDecimals={false} tick={AXIS} />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {OUTCOMES.map((o) => (
          <Bar
            key={o.key}
            dataKey={o.key}
            name={o.label}
            stackId="outcome"
            fill={o.pattern ? `url(#outcome-${o.key})` : o.color}
            stroke={o.color}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    </Frame>
  );
}

/** p95's points are squares, p50's circles: the two differ in shape, not only in colour and dash. */
function SquareDot({ cx, cy, key }: { cx?: number | null; cy?: number | null; key?: React.Key | null }) {
  if (cx == null || cy == null) return <g key={key ?? undefined} />;
  return <rect key={key ?? undefined} x={cx - 3.5} y={cy - 3.5} width={7} height={7} fill="#fff" stroke={SERIES_COLORS.secondary} strokeWidth={2} />;
}

export function PercentileChart({ points, stepHours }: { points: Timeline["expiryLag"]; stepHours: number }) {
  const data = points.map((p) => ({ label: bucketLabel(p.start, stepHours), p50: p.p50, p95: p.p95 }));
  return (
    <Frame>
      <LineChart data={data} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} vertical={false} />
        <XAxis dataKey="label" tick={AXIS} interval="preserveStartEnd" minTickGap={16} />
        <YAxis tick={AXIS} tickFormatter={(v: number) => formatSecondsShort(v)} width={56} />
        <Tooltip formatter={(v) => formatSeconds(typeof v === "number" ? v : null)} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Line dataKey="p50" name="p50 (median)" stroke={SERIES_COLORS.primary} strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
        <Line
          dataKey="p95"
          name="p95"
          stroke={SERIES_COLORS.secondary}
          strokeWidth={2}
          strokeDasharray="6 4"
          dot={SquareDot}
          legendType="square"
          isAnimationActive={false}
        />
      </LineChart>
    </Frame>
  );
}

export function TopPrivilegesChart({ items }: { items: Summary["topPrivileges"] }) {
  return (
    <ResponsiveContainer width="100%" height={Math.max(120, items.length * 28 + 40)} minWidth={0}>
      <BarChart data={items} layout="vertical" accessibilityLayer={false} margin={{ top: 0, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={GRID} horizontal={false} />
        <XAxis type="number" allowDecimals={false} tick={AXIS} />
        <YAxis type="category" dataKey="name" tick={AXIS} width={132} tickFormatter={(n: string) => (n.length > 20 ? `${n.slice(0, 19)}…` : n)} />
        <Tooltip />
        <Bar dataKey="requests" name="Requests" fill={SERIES_COLORS.primary} isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}
