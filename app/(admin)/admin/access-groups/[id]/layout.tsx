import { notFound } from "next/navigation";
import { groupIdInput } from "@/server/access-groups/schemas";
import { GroupHeader } from "../_components/group-header";

export default async function AccessGroupLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!groupIdInput.safeParse({ id }).success) notFound();
  return (
    <>
      <GroupHeader groupId={id} />
      {children}
    </>
  );
}
