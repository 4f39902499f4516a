import { Tag } from "@/components/tag";
import { formatDateTime, formatWhen } from "@/components/time";
import type { RouterOutputs } from "@/components/router-types";

export type DriftFinding = RouterOutputs["drift"]["findingsPage"]["items"][number];

export function KindTag({ kind }: { kind: DriftFinding["kind"] }) {
  return kind === "standing" ? <Tag tone="amber">Standing access</Tag> : <Tag tone="red">Outlived its grant</Tag>;
}

const CLASS_LABEL: Record<DriftFinding["memberClass"], string | null> = {
  user: null,
  computer: "Computer",
  group: "Nested group",
  other: "Other object",
  unknown: "Unreadable",
};

/** Says what the member is when it is not a person's account. */
export function MemberClassTag({ memberClass }: { memberClass: DriftFinding["memberClass"] }) {
  const label = CLASS_LABEL[memberClass];
  return label ? <Tag tone={memberClass === "group" ? "violet" : "slate"}>{label}</Tag> : null;
}

export function When({ at, className = "" }: { at: Date | string | null; className?: string }) {
  if (!at) return null;
  const date = new Date(at);
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)} className={className}>
      {formatWhen(date)}
    </time>
  );
}
