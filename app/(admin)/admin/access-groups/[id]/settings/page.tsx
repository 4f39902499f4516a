import type { Metadata } from "next";
import { SettingsTab } from "./settings-tab";

export const metadata: Metadata = { title: "Access group settings — Interim" };

export default async function AccessGroupSettingsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SettingsTab groupId={id} />;
}
