import type { FieldErrors, Resolver } from "react-hook-form";
import { approversInput, type ApproversInput } from "@/server/access-groups/schemas";

export const MAX_LEVEL = 10;

export interface ApproverRow {
  userGuid: string;
  username: string;
  displayName: string;
  dn: string;
  level: number;
}

export interface ApproversFormValues {
  approvers: ApproverRow[];
  /** Approvals needed, by level: index 0 is level 1. Only the levels in use are sent. */
  required: number[];
}

/** The levels some approver is on, in order (levels not yet valid numbers are left out). */
export function levelsInUse(approvers: readonly { level: number }[]): number[] {
  return [...new Set(approvers.map((a) => a.level).filter((l) => Number.isInteger(l) && l >= 1 && l <= MAX_LEVEL))].sort((a, b) => a - b);
}

export function toApproversInput(values: ApproversFormValues, group: { id: string; version: number; approvalInLevels: boolean }) {
  // Without levels everyone approves at level 1, whatever an earlier configuration said.
  const approvers = values.approvers.map((a) => ({ userGuid: a.userGuid, level: group.approvalInLevels ? a.level : 1 }));
  const levels = levelsInUse(approvers).map((level) => ({ level, requiredApprovals: values.required[level - 1] ?? 1 }));
  return { id: group.id, version: group.version, approvers, levels };
}

/** Runs the server's schema on the form and puts each message on the input it is about. */
export function approversResolver(group: { id: string; version: number; approvalInLevels: boolean }): Resolver<ApproversFormValues, unknown, ApproversInput> {
  return (values) => {
    const input = toApproversInput(values, group);
    const parsed = approversInput.safeParse(input);
    if (parsed.success) return { values: parsed.data, errors: {} };
    const approvers: Record<number, { level: { type: string; message: string } }> = {};
    const required: Record<number, { type: string; message: string }> = {};
    const general: string[] = [];
    for (const issue of parsed.error.issues) {
      const [where, index, field] = issue.path;
      if (where === "approvers" && typeof index === "number" && field === "level") {
        const message = Number.isNaN(input.approvers[index]?.level) ? `Enter a level from 1 to ${MAX_LEVEL}` : issue.message;
        approvers[index] ??= { level: { type: "validate", message } };
      } else if (where === "levels" && typeof index === "number" && field === "requiredApprovals") {
        const level = input.levels[index]!.level;
        const message = Number.isNaN(input.levels[index]!.requiredApprovals) ? "Enter a number of approvals" : issue.message;
        required[level - 1] ??= { type: "validate", message };
      } else if (!general.includes(issue.message)) {
        general.push(issue.message);
      }
    }
    const errors = {
      ...(Object.keys(approvers).length ? { approvers } : {}),
      ...(Object.keys(required).length ? { required } : {}),
      ...(general.length ? { root: { type: "validate", message: general.join(" ") } } : {}),
    } as FieldErrors<ApproversFormValues>;
    return { values: {}, errors };
  };
}
