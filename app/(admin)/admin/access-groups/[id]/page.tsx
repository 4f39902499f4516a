import { redirect } from "next/navigation";

/** A group opens on its first tab. */
export default async function AccessGroupPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  redirect(`/admin/access-groups/${encodeURIComponent(id)}/settings`);
}
