import type { Metadata } from "next";
import { LocationsTab } from "./locations-tab";

export const metadata: Metadata = { title: "Access group locations — Interim" };

export default async function AccessGroupLocationsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LocationsTab groupId={id} />;
}
