import type { Metadata } from "next";
import { CriteriaTab } from "./criteria-tab";

export const metadata: Metadata = { title: "Access group criteria — Interim" };

export default async function AccessGroupCriteriaPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <CriteriaTab groupId={id} />;
}
