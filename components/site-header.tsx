"use client";

import { usePathname } from "next/navigation";
import { useState } from "react";
import { signOutTo } from "./auth-client";
import { Button } from "./button";

export interface HeaderUser {
  displayName: string;
  username: string;
  isAdmin: boolean;
}

function NavLink({ href, children }: { href: string; children: React.ReactNode }) {
  const pathname = usePathname();
  const current = pathname === href || pathname.startsWith(`${href}/`);
  return (
    // Plain links: next/link is ~4 KB gzipped on every page's first load (issue 15), and each of
    // these three goes to another section with a layout of its own, so a full load costs little.
    <a
      href={href}
      aria-current={current ? "page" : undefined}
      className={`rounded-md px-2.5 py-1.5 text-sm font-medium ${current ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"}`}
    >
      {children}
    </a>
  );
}

export function SiteHeader({ user }: { user: HeaderUser | null }) {
  const [signingOut, setSigningOut] = useState(false);
  return (
    <header className="bg-slate-900 text-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages -- a plain link on purpose, as in NavLink */}
        <a href="/" className="flex items-center gap-2 text-base font-semibold tracking-tight">
          <span aria-hidden="true" className="grid size-7 place-items-center rounded-md bg-indigo-500 text-sm font-bold">
            I
          </span>
          Interim
        </a>
        <nav aria-label="Main" className="flex items-center gap-1">
          <NavLink href="/roles">My access</NavLink>
          <NavLink href="/inbox">Approvals</NavLink>
          {user?.isAdmin && <NavLink href="/admin">Administration</NavLink>}
        </nav>
        {user && (
          <div className="ml-auto flex items-center gap-3">
            <span className="max-w-[12rem] truncate text-sm text-slate-300" title={user.username}>
              {user.displayName}
            </span>
            <Button
              variant="inverse"
              pending={signingOut}
              onClick={() => {
                setSigningOut(true);
                signOutTo("/signin").catch(() => setSigningOut(false));
              }}
            >
              Sign out
            </Button>
          </div>
        )}
      </div>
    </header>
  );
}
