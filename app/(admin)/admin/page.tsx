import type { Metadata } from "next";
import { DirectoryStatus } from "./_components/directory-status";

export const metadata: Metadata = { title: "Administration — Interim" };

export default function AdminOverviewPage() {
  return <DirectoryStatus />;
}
