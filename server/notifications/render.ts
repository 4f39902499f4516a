import "server-only";
import { DateTime, IANAZone } from "luxon";
import type { EmailMessage, NotificationFacts } from "./facts";

/*
 * Mail and webhook payloads for one event, from the facts the dispatcher gathered. Pure: the
 * dispatcher and the transports do the I/O. Every value a requester typed (justification, change
 * ID) or the directory returned (display name, error) is untrusted and escaped for its format.
 */

export type EmailAudience = "requester" | "approver" | "observer";

export interface Link {
  label: string;
  url: string;
}

/** Subjects and chat titles stay on one line and short; the body carries the whole text. */
const TITLE_VALUE_MAX = 100;
const SUBJECT_MAX = 250;

// ---------------------------------------------------------------- shared wording

export function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

export function oneLine(value: string, max = TITLE_VALUE_MAX): string {
  return clip(value.replace(/\s+/g, " ").trim(), max);
}

function zoneName(timeZone: string): string {
  return IANAZone.isValidZone(timeZone) ? timeZone : "UTC";
}

function localTime(iso: string, timeZone: string): DateTime {
  return DateTime.fromISO(iso, { zone: "utc" }).setZone(zoneName(timeZone));
}

/** `2026-11-23 14:05 (Europe/Paris)`. */
export function formatTime(iso: string, timeZone: string): string {
  const t = localTime(iso, timeZone);
  return t.isValid ? `${t.toFormat("yyyy-MM-dd HH:mm")} (${zoneName(timeZone)})` : iso;
}

/** Only the time of day when `iso` falls on the same local day as the event, else the full date. */
function formatTimeNear(iso: string, facts: NotificationFacts): string {
  const t = localTime(iso, facts.timeZone);
  const day = localTime(facts.occurredAt, facts.timeZone);
  if (!t.isValid || !day.isValid || !t.hasSame(day, "day")) return formatTime(iso, facts.timeZone);
  return `${t.toFormat("HH:mm")} (${zoneName(facts.timeZone)})`;
}

function formatMinutes(minutes: number): string {
  if (minutes < 120) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

function minutesLeft(facts: NotificationFacts): string {
  if (!facts.expiresAt) return "soon";
  const ms = DateTime.fromISO(facts.expiresAt).toMillis() - DateTime.fromISO(facts.occurredAt).toMillis();
  return Number.isFinite(ms) ? `in ${formatMinutes(Math.max(1, Math.round(ms / 60_000)))}` : "soon";
}

function isExtension(facts: NotificationFacts): boolean {
  return facts.requestKind === "extension";
}

function levelText(facts: NotificationFacts): string | null {
  return facts.level ? `level ${facts.level.current} of ${facts.level.of}` : null;
}

function personOf(facts: NotificationFacts): string {
  const { username, displayName } = facts.requester;
  return displayName && displayName !== username ? `${displayName} (${username})` : username;
}

/** What was asked, in the third person: `alice requests X (60 min)` / `alice asks to extend X by 30 min`. */
function askedFor(facts: NotificationFacts): string {
  const who = facts.requester.username;
  const duration = formatMinutes(facts.durationMinutes);
  return isExtension(facts) ? `${who} asks to extend ${facts.privilege} by ${duration}` : `${who} requests ${facts.privilege} (${duration})`;
}

function until(facts: NotificationFacts, at: (iso: string) => string): string {
  return facts.expiresAt ? ` until ${at(facts.expiresAt)}` : "";
}

type TimeStyle = "short" | "full";

function timeFormatter(facts: NotificationFacts, style: TimeStyle): (iso: string) => string {
  return style === "short" ? (iso) => formatTimeNear(iso, facts) : (iso) => formatTime(iso, facts.timeZone);
}

/** The event in the third person, for approvers, observers and chat channels. */
function thirdPerson(facts: NotificationFacts, style: TimeStyle): string {
  const at = timeFormatter(facts, style);
  const who = facts.requester.username;
  const what = facts.privilege;
  const request = isExtension(facts) ? `${who}'s extension of ${what}` : `${who}'s request for ${what}`;
  const by = facts.actor ? ` by ${facts.actor}` : "";
  switch (facts.event) {
    case "requested":
      return askedFor(facts);
    case "approval_needed":
      return `Approval needed: ${askedFor(facts)}`;
    case "approved":
      return `Approved: ${request}${by}`;
    case "denied":
      return `Denied: ${request}${by}${facts.comment ? `: ${oneLine(facts.comment)}` : ""}`;
    case "granted":
      return `${who} has ${what}${until(facts, at)}`;
    case "extended":
      return `Extended: ${who} has ${what}${until(facts, at)}`;
    case "expiring_soon":
      return `${who}'s access to ${what} expires ${minutesLeft(facts)}`;
    case "expired":
      // Without a grant, it is the request that expired: nobody decided in time.
      return facts.grantId ? `Expired: ${who}'s access to ${what}` : `Expired without a decision: ${request}`;
    case "revoked":
      return `Revoked: ${who}'s access to ${what}${by}`;
    case "failed":
      return isExtension(facts)
        ? `Failed: ${request} could not be applied${facts.error ? `: ${oneLine(facts.error)}` : ""}`
        : `Failed: ${who}'s access to ${what} could not be activated${facts.error ? `: ${oneLine(facts.error)}` : ""}`;
    case "emergency":
      return `EMERGENCY access: ${who} took ${what}`;
    case "session_alert":
      return `Session alert: ${who} (${what})${facts.comment ? `: ${oneLine(facts.comment)}` : ""}`;
  }
}

/** The event told to the requester. */
function secondPerson(facts: NotificationFacts, style: TimeStyle): string {
  const at = timeFormatter(facts, style);
  const what = facts.privilege;
  const duration = formatMinutes(facts.durationMinutes);
  const request = isExtension(facts) ? `Your request to extend ${what} by ${duration}` : `Your request for ${what} (${duration})`;
  const level = levelText(facts);
  switch (facts.event) {
    case "requested":
      return `${request} was submitted`;
    case "approval_needed":
      return `${request} is waiting for approval${level ? ` (${level})` : ""}`;
    case "approved":
      return `${request} was approved`;
    case "denied":
      return `${request} was denied${facts.comment ? `: ${oneLine(facts.comment)}` : ""}`;
    case "granted":
      return `Your access to ${what} is active${until(facts, at)}`;
    case "extended":
      return `Your access to ${what} is extended${until(facts, at)}`;
    case "expiring_soon":
      return `Your access to ${what} expires ${minutesLeft(facts)}`;
    case "expired":
      return facts.grantId ? `Your access to ${what} has ended` : `${request} expired: nobody decided in time`;
    case "revoked":
      return facts.actor && facts.actor !== facts.requester.username
        ? `Your access to ${what} was revoked by ${facts.actor}`
        : `Your access to ${what} was ended early`;
    case "failed":
      return isExtension(facts)
        ? `${request} could not be applied${facts.error ? `: ${oneLine(facts.error)}` : ""}`
        : `Your access to ${what} could not be activated${facts.error ? `: ${oneLine(facts.error)}` : ""}`;
    case "emergency":
      return `Your emergency access to ${what} was recorded and the approvers were told`;
    case "session_alert":
      return `Your session with ${what}: a command was flagged and the approvers were told${facts.comment ? `: ${oneLine(facts.comment)}` : ""}`;
  }
}

/** One line naming the event, the same for every audience: chat titles, observers' subjects. */
export function messageTitle(facts: NotificationFacts): string {
  return thirdPerson(facts, "short");
}

function headline(facts: NotificationFacts, audience: EmailAudience, style: TimeStyle): string {
  return audience === "requester" ? secondPerson(facts, style) : thirdPerson(facts, style);
}

/** A sentence after the headline that tells the reader what is expected of them, if anything. */
function callToAction(facts: NotificationFacts, audience: EmailAudience): string | null {
  if (audience === "approver" && facts.event === "approval_needed") {
    const level = levelText(facts);
    return `Your decision is needed${level ? ` (${level})` : ""}.`;
  }
  if (audience === "approver" && facts.event === "emergency") {
    return "Access was granted without approval. Review the justification and revoke the access if it is not warranted.";
  }
  if (audience === "requester" && facts.event === "expiring_soon" && facts.links.extend) {
    return "You can ask to extend it before it ends.";
  }
  return null;
}

/** Labelled facts, in reading order; absent facts are left out. */
export function factRows(facts: NotificationFacts): [label: string, value: string][] {
  const at = (iso: string) => formatTime(iso, facts.timeZone);
  const flags = [facts.emergency && "EMERGENCY", facts.outsideUsualHours && "Outside usual hours"].filter((f): f is string => typeof f === "string");
  const actorLabel = facts.event === "approved" || facts.event === "denied" ? "Decided by" : facts.event === "revoked" ? "Revoked by" : "By";
  const rows: [string, string | null][] = [
    ["Requester", personOf(facts)],
    ["Privilege", facts.privilege],
    ["AD group", facts.groupDn],
    ["Account elevated", facts.account ?? facts.requester.username],
    ["Access group", facts.accessGroup],
    isExtension(facts) ? ["Extension", `+${formatMinutes(facts.durationMinutes)}`] : ["Duration", formatMinutes(facts.durationMinutes)],
    ["Approval", levelText(facts)],
    ["Starts", facts.startsAt && at(facts.startsAt)],
    ["Expires", facts.expiresAt && at(facts.expiresAt)],
    ["Justification", facts.justification || null],
    ["Change ID", facts.changeId],
    ["Governance code", facts.governanceCode],
    ["Flags", flags.length ? flags.join(", ") : null],
    [actorLabel, facts.actor],
    ["Comment", facts.comment],
    ["Error", facts.error],
    ["When", at(facts.occurredAt)],
    ["Request ID", facts.requestId],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== null);
}

// ---------------------------------------------------------------- email

/**
 * The decision link goes to approvers only (observers may not be approvers); My access and the
 * extend form go to the requester only, since they open the reader's own grants.
 */
function emailLinks(facts: NotificationFacts, audience: EmailAudience): Link[] {
  if (audience === "approver") {
    return facts.event === "approval_needed" || facts.event === "emergency" ? [{ label: "Open the decision", url: facts.links.decision }] : [];
  }
  if (audience === "requester") {
    const myAccess = { label: "Open My access", url: facts.links.myAccess };
    return facts.event === "expiring_soon" && facts.links.extend ? [{ label: "Extend", url: facts.links.extend }, myAccess] : [myAccess];
  }
  return [];
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function renderText(title: string, action: string | null, rows: [string, string][], links: Link[]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = [`${title}.`];
  if (action) lines.push("", action);
  lines.push("");
  for (const [label, value] of rows) {
    const [first, ...rest] = value.split(/\r?\n/);
    lines.push(`${`${label}:`.padEnd(width)}${first}`);
    for (const more of rest) lines.push(`${" ".repeat(width)}${more}`);
  }
  for (const link of links) lines.push("", `${link.label}:`, link.url);
  lines.push("", "-- ", "Interim, just-in-time privileged access");
  return `${lines.join("\n")}\n`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

function renderHtml(facts: NotificationFacts, title: string, action: string | null, rows: [string, string][], links: Link[]): string {
  const alert = facts.emergency || facts.event === "failed" || facts.event === "denied";
  const banner = facts.emergency
    ? `<p style="margin:0 0 16px;padding:8px 12px;background:#fdecea;color:#8a1c1c;border-radius:4px;font-weight:600">Emergency access</p>`
    : "";
  const table = rows
    .map(
      ([label, value]) =>
        `<tr><th style="text-align:left;vertical-align:top;padding:4px 16px 4px 0;color:#555;font-weight:600;white-space:nowrap">${escapeHtml(label)}</th>` +
        `<td style="padding:4px 0;white-space:pre-wrap;word-break:break-word">${escapeHtml(value)}</td></tr>`,
    )
    .join("");
  const [primary, ...others] = links;
  const button = primary
    ? `<p style="margin:24px 0 0"><a href="${escapeHtml(primary.url)}" style="display:inline-block;padding:10px 18px;background:${alert ? "#b3261e" : "#1f4fd1"};color:#ffffff;text-decoration:none;border-radius:4px;font-weight:600">${escapeHtml(primary.label)}</a></p>`
    : "";
  const secondary = others
    .map((l) => `<p style="margin:12px 0 0"><a href="${escapeHtml(l.url)}" style="color:#1f4fd1">${escapeHtml(l.label)}</a></p>`)
    .join("");
  return [
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f4f5f7;color:#1a1a1a;${FONT}">`,
    `<div style="max-width:640px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #dddddd;border-radius:6px">`,
    banner,
    `<p style="margin:0 0 12px;font-size:18px;font-weight:600">${escapeHtml(title)}</p>`,
    action ? `<p style="margin:0 0 16px">${escapeHtml(action)}</p>` : "",
    `<table style="border-collapse:collapse;width:100%;font-size:14px">${table}</table>`,
    button,
    secondary,
    `</div>`,
    `<p style="max-width:640px;margin:12px auto 0;color:#777;font-size:12px">Interim, just-in-time privileged access</p>`,
    `</body></html>`,
  ].join("");
}

export function renderEmail(facts: NotificationFacts, audience: EmailAudience): EmailMessage {
  const title = headline(facts, audience, "full");
  const action = callToAction(facts, audience);
  const rows = factRows(facts);
  const links = emailLinks(facts, audience);
  return {
    subject: oneLine(`[Interim] ${headline(facts, audience, "short")}`, SUBJECT_MAX),
    text: renderText(title, action, rows, links),
    html: renderHtml(facts, title, action, rows, links),
  };
}

// ---------------------------------------------------------------- webhooks
