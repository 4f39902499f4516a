"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/client";
import { TabNav } from "@/components/tab-nav";

const TABS = [
  { href: "/admin", label: "Overview", exact: true },
  { href: "/admin/privileges", label: "Privileges" },
  { href: "/admin/privilege-sets", label: "Privilege sets" },
  { href: "/admin/access-groups", label: "Access groups" },
  { href: "/admin/catalog", label: "Catalog" },
  { href: "/admin/directory", label: "Directory" },
  { href: "/admin/grants", label: "Active grants" },
  { href: "/admin/drift", label: "Drift" },
  { href: "/admin/sessions", label: "Sessions" },
  { href: "/admin/recordings", label: "Sessions on devices" },
  { href: "/admin/audit", label: "Audit trail" },
  { href: "/admin/configuration", label: "Configuration" },
  { href: "/admin/api-tokens", label: "API tokens" },
] as const;

export function AdminNav() {
  const trpc = useTRPC();
  // The drift page's own polling shares this query; elsewhere a minute is soon enough for a badge.
  const drift = useQuery({ ...trpc.drift.status.queryOptions(), refetchInterval: 60_000 });
  const openFindings = drift.data?.openCount ?? 0;
  const tabs = TABS.map((t) =>
    t.href === "/admin/drift" ? { ...t, badge: openFindings, badgeLabel: openFindings === 1 ? "open finding" : "open findings" } : t,
  );
  return <TabNav label="Administration sections" tabs={tabs} className="mb-6" />;
}
