import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { PageHeading } from "@/components/page-heading";
import { sessionIdInput } from "@/server/sessions/schemas";
import { TerminalSession } from "./terminal-session";

export const metadata: Metadata = { title: "Session — Interim" };

export default async function SessionTerminalPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!sessionIdInput.safeParse({ sessionId: id }).success) notFound();
  return (
    <>
      <PageHeading title="Session">Everything you type and see here is recorded.</PageHeading>
      <TerminalSession sessionId={id} />
    </>
  );
}
