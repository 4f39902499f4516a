import { isIP } from "node:net";
import { severityOf, type SiemEvent } from "./event";

/*
 * ArcSight Common Event Format (CEF) 0, as the "Implementing ArcSight CEF" guide has it:
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
 * In the header, `\` and `|` are escaped with a backslash; in extension values `\`, `=` and line
 * breaks are (`\\`, `\=`, `\n`, `\r`); `|` needs no escape there. Keys are fixed ASCII words.
 */

export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, " ");
}

export function escapeCefValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/=/g, "\\=").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** CEF severity 0–10: warnings (failures, refusals, emergencies, a broken chain) 7, the rest 3. */
export function cefSeverity(action: string): number {
  return severityOf(action) === 4 ? 7 : 3;
}

/** The extension, in a fixed order; absent values are left out. Custom strings carry their labels. */
function extension(e: SiemEvent): string {
  const pairs: [string, string | number | null][] = [
    ["rt", e.at.getTime()],
    ["externalId", e.seq],
    ["act", e.action],
    ["suser", e.actorName],
    ["suid", e.actorId],
    // CEF's src must be an address; anything else (never expected) is left out rather than misfiled.
    ["src", e.ip && isIP(e.ip) ? e.ip : null],
    ["requestClientApplication", e.userAgent],
    ["cs1Label", "actorType"],
    ["cs1", e.actorType],
    ["cs2Label", "targetType"],
    ["cs2", e.targetType],
    ["cs3Label", "targetId"],
    ["cs3", e.targetId],
    ["cs4Label", "data"],
    ["cs4", JSON.stringify(e.data)],
    ["cs5Label", "hash"],
    ["cs5", e.hash],
    ["cs6Label", "prevHash"],
    ["cs6", e.prevHash],
  ];
  return pairs
    .filter((p): p is [string, string | number] => p[1] !== null && p[1] !== "")
    .map(([k, v]) => `${k}=${escapeCefValue(String(v))}`)
    .join(" ");
}

export function cefMessage(e: SiemEvent, version: string): string {
  const header = ["CEF:0", "Interim", "Interim", version, e.action, e.action, String(cefSeverity(e.action))].map((h, i) => (i === 0 ? h : escapeCefHeader(h)));
  return `${header.join("|")}|${extension(e)}`;
}
