import type { Metadata } from "next";
import Link from "next/link";
import { buttonClass } from "@/components/button-styles";
import { Card, PageHeading } from "@/components/page-heading";

export const metadata: Metadata = { title: "Approvals — Interim" };

export default function InboxPage() {
  return (
    <>
      <PageHeading title="Approvals" />
      <Card className="px-4 py-8 text-center sm:px-8">
        <p className="font-medium text-slate-800">Requests are approved automatically for now; approvals in levels are coming.</p>
        <p className="mt-1 text-sm text-slate-600">Nothing waits for your decision here.</p>
        <Link href="/roles" className={buttonClass("secondary", "mt-4")}>
          Go to My access
        </Link>
      </Card>
    </>
  );
}
