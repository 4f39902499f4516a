"use client";

/** ISO weekdays: index 0 is day 1 (Monday) … index 6 is day 7 (Sunday). */
export const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

/**
 * Seven day checkboxes over a list of ISO weekdays (1 = Monday … 7 = Sunday), kept sorted. Put it
 * in a fieldset whose legend names the days; `errorId` lets the fieldset point at the message.
 */
export function WeekdayPicker({
  value,
  onChange,
  onBlur,
  error,
  errorId,
}: {
  value: readonly number[];
  onChange: (days: number[]) => void;
  onBlur?: () => void;
  error?: string;
  errorId?: string;
}) {
  return (
    <>
      <div className="flex flex-wrap gap-x-4 gap-y-2">
        {DAY_NAMES.map((day, i) => {
          const iso = i + 1;
          return (
            <label key={day} className="inline-flex items-center gap-2 text-sm text-slate-800">
              <input
                type="checkbox"
                className="size-4 rounded border-slate-300 accent-indigo-600"
                checked={value.includes(iso)}
                onBlur={onBlur}
                onChange={(e) => onChange(e.target.checked ? [...value, iso].sort((a, b) => a - b) : value.filter((d) => d !== iso))}
              />
              {day}
            </label>
          );
        })}
      </div>
      {error && (
        <p id={errorId} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      )}
    </>
  );
}
