import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { Loading } from "@/components/alerts";
import { sessionIdInput } from "@/server/sessions/schemas";
import { RecordingDetail } from "../_components/recording-detail";

export const metadata: Metadata = { title: "Session on a device — Interim" };

export default async function RecordingPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!sessionIdInput.safeParse({ sessionId: id }).success) notFound();
  // The detail reads ?at= (a command search result's offset), known only in the browser.
  return (
    <Suspense fallback={<Loading label="Loading the session…" />}>
      <RecordingDetail sessionId={id} />
    </Suspense>
  );
}
