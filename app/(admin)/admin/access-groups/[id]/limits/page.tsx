import type { Metadata } from "next";
import { LimitsTab } from "./limits-tab";

export const metadata: Metadata = { title: "Access group limits — Interim" };

export default async function AccessGroupLimitsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LimitsTab groupId={id} />;
}
