import type { Metadata } from "next";
import { SessionsTab } from "./sessions-tab";

export const metadata: Metadata = { title: "Access group sessions — Interim" };

export default async function AccessGroupSessionsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SessionsTab groupId={id} />;
}
