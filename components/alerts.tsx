import type { ReactNode } from "react";
import { Button } from "./button";

/** A failure the person should read now; role="alert" makes screen readers announce it. */
export function ErrorAlert({ children, className = "" }: { children: ReactNode; className?: string }) {
  if (!children) return null;
  return (
    <div role="alert" className={`rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 ${className}`}>
      {children}
    </div>
  );
}

/** A confirmation that something worked, announced politely. */
export function SuccessNote({ children, className = "" }: { children: ReactNode; className?: string }) {
  if (!children) return null;
  return (
    <div role="status" className={`rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800 ${className}`}>
      {children}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p role="status" className="py-6 text-sm text-slate-500">
      {label}
    </p>
  );
}

/** A query that failed, with a way to try again. */
export function QueryError({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <ErrorAlert className="flex flex-wrap items-center justify-between gap-3">
      <span>{message}</span>
      <Button onClick={onRetry}>Try again</Button>
    </ErrorAlert>
  );
}

/** What to do when a list has nothing in it yet. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-8 text-center">
      <p className="font-medium text-slate-800">{title}</p>
      {children && <p className="mt-1 text-sm text-slate-600">{children}</p>}
    </div>
  );
}
