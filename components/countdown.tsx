"use client";

import { formatRemaining } from "./time";
import { useNow } from "./use-now";

/** "Expires in mm:ss" (h:mm:ss over an hour), ticking every second. */
export function Countdown({ until, prefix = "Expires in", className = "" }: { until: Date; prefix?: string; className?: string }) {
  const now = useNow();
  if (now === null) return null;
  return (
    <span role="timer" className={`tabular-nums ${className}`}>
      {prefix} {formatRemaining(until.getTime() - now)}
    </span>
  );
}
