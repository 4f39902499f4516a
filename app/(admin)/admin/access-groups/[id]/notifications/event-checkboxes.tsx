"use client";

import { EVENT_LABELS, NOTIFICATION_EVENTS, type NotificationEvent } from "@/server/notifications/schemas";

/**
 * A group of event checkboxes over a list of events. `value` may hold events this group does not
 * show (the email events are split in two groups): they are kept, and the result stays in the
 * server's order.
 */
export function EventCheckboxes({
  idPrefix,
  legend,
  events = NOTIFICATION_EVENTS,
  hints = {},
  value,
  onChange,
  onBlur,
  error,
  columns = true,
}: {
  idPrefix: string;
  legend: string;
  events?: readonly NotificationEvent[];
  hints?: Partial<Record<NotificationEvent, string>>;
  value: readonly NotificationEvent[];
  onChange: (events: NotificationEvent[]) => void;
  onBlur?: () => void;
  error?: string;
  /** Two or three columns on wider screens; off for short groups with hints. */
  columns?: boolean;
}) {
  const errorId = `${idPrefix}-error`;
  function toggle(event: NotificationEvent, on: boolean) {
    const next = new Set(value);
    if (on) next.add(event);
    else next.delete(event);
    onChange(NOTIFICATION_EVENTS.filter((e) => next.has(e)));
  }
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend className="mb-2 text-sm font-medium text-slate-800">{legend}</legend>
      <ul className={`grid gap-x-4 gap-y-2 ${columns ? "sm:grid-cols-2 lg:grid-cols-3" : ""}`}>
        {events.map((event) => {
          const id = `${idPrefix}-${event}`;
          const hint = hints[event];
          return (
            <li key={event} className="flex items-start gap-2">
              <input
                id={id}
                type="checkbox"
                className="mt-0.5 size-4 shrink-0 rounded border-slate-300 accent-indigo-600"
                checked={value.includes(event)}
                onChange={(e) => toggle(event, e.target.checked)}
                onBlur={onBlur}
                aria-describedby={hint ? `${id}-hint` : undefined}
              />
              <div className="min-w-0">
                <label htmlFor={id} className="text-sm text-slate-800">
                  {EVENT_LABELS[event]}
                </label>
                {hint && (
                  <p id={`${id}-hint`} className="text-xs text-slate-500">
                    {hint}
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
