"use client";

import { TabNav } from "@/components/tab-nav";

const TABS = [
  { href: "/admin", label: "Overview", exact: true },
  { href: "/admin/privileges", label: "Privileges" },
  { href: "/admin/access-groups", label: "Access groups" },
  { href: "/admin/catalog", label: "Catalog" },
  { href: "/admin/grants", label: "Active grants" },
  { href: "/admin/audit", label: "Audit trail" },
] as const;

export function AdminNav() {
  return <TabNav label="Administration sections" tabs={TABS} className="mb-6" />;
}
