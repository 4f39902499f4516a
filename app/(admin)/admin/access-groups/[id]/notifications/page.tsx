import type { Metadata } from "next";
import { NotificationsTab } from "./notifications-tab";

export const metadata: Metadata = { title: "Access group notifications — Interim" };

export default async function AccessGroupNotificationsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <NotificationsTab groupId={id} />;
}
