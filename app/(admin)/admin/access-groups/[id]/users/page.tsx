import type { Metadata } from "next";
import { UsersTab } from "./users-tab";

export const metadata: Metadata = { title: "Access group users — Interim" };

export default async function AccessGroupUsersPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <UsersTab groupId={id} />;
}
