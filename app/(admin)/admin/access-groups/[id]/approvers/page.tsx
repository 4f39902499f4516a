import type { Metadata } from "next";
import { ApproversTab } from "./approvers-tab";

export const metadata: Metadata = { title: "Access group approvers — Interim" };

export default async function AccessGroupApproversPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ApproversTab groupId={id} />;
}
