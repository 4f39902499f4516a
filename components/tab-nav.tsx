"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";

export interface Tab {
  href: string;
  label: string;
  /** Current only on this exact path (an index tab such as /admin), not on the paths below it. */
  exact?: boolean;
  /** A count beside the label (hidden at zero); `badgeLabel` says what it counts to screen readers. */
  badge?: number;
  badgeLabel?: string;
}

/**
 * A row of section links under a page heading. It scrolls sideways on a phone and brings the
 * open tab into view (at 375 px the last tabs start off-screen).
 */
export function TabNav({ label, tabs, className = "" }: { label: string; tabs: readonly Tab[]; className?: string }) {
  const pathname = usePathname();
  const currentTab = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    currentTab.current?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [pathname]);
  return (
    <nav aria-label={label} className={`-mx-4 overflow-x-auto border-b border-slate-200 px-4 ${className}`}>
      <ul className="flex min-w-max sm:gap-1">
        {tabs.map((tab) => {
          const current = tab.exact ? pathname === tab.href : pathname === tab.href || pathname.startsWith(`${tab.href}/`);
          return (
            <li key={tab.href}>
              <Link
                href={tab.href}
                // Every page is rendered per request (app/layout.tsx), so a prefetch brings no page,
                // only a round trip and its processing per visible tab on the first load (issue 15).
                prefetch={false}
                ref={current ? currentTab : undefined}
                aria-current={current ? "page" : undefined}
                className={`relative -mb-px inline-block border-b-2 px-2 py-2.5 text-sm font-medium whitespace-nowrap sm:px-3 ${
                  current ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900"
                }`}
              >
                {tab.label}
                {tab.badge ? (
                  <span className="ml-1.5 inline-flex min-w-5 items-center justify-center rounded-full bg-amber-500 px-1.5 text-xs font-semibold text-white tabular-nums">
                    {tab.badge}
                    {tab.badgeLabel && <span className="sr-only"> {tab.badgeLabel}</span>}
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
