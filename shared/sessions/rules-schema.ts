import { z } from "zod";
import { ONE_LINE } from "@/shared/text";
import { compileCommandRegex } from "./command-regex";

/*
 * The command rules of an access group and the planned activity of a request, shared by the forms
 * and the server. A pattern is either
 *   - a glob, like the criteria patterns: `*` is any run of characters, the rest literal, the whole
 *     command must match, case ignored (`rm -rf *`, `*Set-ADUser*`); or
 *   - a regular expression written `/…/` or `/…/i`, with no unescaped `/` inside (so `/usr/bin/*`
 *     stays a glob): found anywhere in the command, case kept unless `i`. It is the linear-time
 *     subset of shared/sessions/command-regex.ts, checked here when the rule is saved.
 */

export type CommandPattern = { kind: "glob"; glob: string } | { kind: "regex"; source: string; flags: string };

const REGEX_LITERAL = /^\/((?:[^/\\]|\\.)+)\/(i?)$/;

export function parseCommandPattern(pattern: string): CommandPattern {
  const m = REGEX_LITERAL.exec(pattern);
  return m ? { kind: "regex", source: m[1]!, flags: m[2]! } : { kind: "glob", glob: pattern };
}

export const commandPatternSchema = z
  .string()
  .trim()
  .min(1, "Enter a pattern")
  .max(200, "At most 200 characters")
  .regex(ONE_LINE, "The pattern contains characters that are not allowed")
  .superRefine((pattern, ctx) => {
    const parsed = parseCommandPattern(pattern);
    if (parsed.kind === "glob") return;
    const compiled = compileCommandRegex(parsed.source, parsed.flags);
    if (!compiled.ok) ctx.addIssue({ code: "custom", message: `Regular expression: ${compiled.error}` });
  });

const patternList = z.array(commandPatternSchema).max(100, "At most 100 patterns").default([]);

export const commandRulesSchema = z.object({
  /** A match notifies the group's failure channels and approvers and flags the session. */
  alert: patternList,
  /** A match is not forwarded to the device; the person is told why. Block wins over alert. */
  block: patternList,
});
export type CommandRules = z.output<typeof commandRulesSchema>;

/** A request's expected commands: anything else in its session is a change deviation. Empty: no check. */
export const plannedActivitySchema = patternList;
export type PlannedActivity = z.output<typeof plannedActivitySchema>;
