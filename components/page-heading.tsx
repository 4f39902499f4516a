import type { ReactNode } from "react";

export function PageHeading({ title, children, actions }: { title: string; children?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
        {children && <div className="mt-1 max-w-3xl text-sm text-slate-600">{children}</div>}
      </div>
      {actions && <div className="flex shrink-0 items-center gap-2">{actions}</div>}
    </div>
  );
}

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  // relative: keeps sr-only (absolute) text inside scrolling tables from widening the page.
  return <div className={`relative rounded-lg border border-slate-200 bg-white shadow-sm ${className}`}>{children}</div>;
}
