import "server-only";
import type { NotificationFacts, WebhookMessage } from "./facts";
import { clip, factRows, formatTime, type Link, messageTitle, oneLine } from "./render";
import type { WebhookKind } from "./schemas";

/*
 * Webhook payloads for one event (generic JSON, Slack blocks, a Teams Adaptive Card), from the
 * facts the dispatcher gathered; the mail and the text helpers they share are in ./render. Pure,
 * and every untrusted value is escaped for its format.
 */

/** Chat channels are read by approvers and onlookers: they get the decision when there is one to make. */
function channelLink(facts: NotificationFacts): Link | null {
  return facts.event === "requested" || facts.event === "approval_needed" || facts.event === "emergency"
    ? { label: "Open the decision", url: facts.links.decision }
    : null;
}

function genericDocument(facts: NotificationFacts) {
  return {
    type: `interim.${facts.event}`,
    version: 1,
    occurredAt: facts.occurredAt,
    request: {
      id: facts.requestId,
      kind: facts.requestKind,
      requester: { username: facts.requester.username, displayName: facts.requester.displayName },
      privilege: facts.privilege,
      groupDn: facts.groupDn,
      account: facts.account ?? facts.requester.username,
      accessGroup: facts.accessGroup,
      durationMinutes: facts.durationMinutes,
      justification: facts.justification,
      changeId: facts.changeId,
      governanceCode: facts.governanceCode,
      emergency: facts.emergency,
      outsideUsualHours: facts.outsideUsualHours,
      level: facts.level ? { current: facts.level.current, of: facts.level.of } : null,
      startsAt: facts.startsAt,
      expiresAt: facts.expiresAt,
    },
    grantId: facts.grantId,
    comment: facts.comment,
    actor: facts.actor,
    error: facts.error,
    links: { decision: facts.links.decision, extend: facts.links.extend, myAccess: facts.links.myAccess },
  };
}

/** Slack reads `<…>` as links and mentions (`<!channel>`) and `&` as the start of an entity. */
export function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Slack refuses a section text over 3000 characters. */
const SLACK_SECTION_MAX = 3000;

function slackPayload(facts: NotificationFacts) {
  const title = messageTitle(facts);
  const lines = factRows(facts)
    .filter(([label]) => label !== "When" && label !== "Request ID")
    .map(([label, value]) => `*${label}:* ${escapeMrkdwn(oneLine(value, 500))}`);
  const section = `*${escapeMrkdwn(title)}*\n${lines.join("\n")}`;
  const context = [`Interim`, facts.accessGroup, formatTime(facts.occurredAt, facts.timeZone), `request ${facts.requestId}`]
    .filter((p): p is string => !!p)
    .map(escapeMrkdwn)
    .join(" · ");
  const link = channelLink(facts);
  const blocks: unknown[] = [
    { type: "section", text: { type: "mrkdwn", text: clip(section, SLACK_SECTION_MAX) } },
    { type: "context", elements: [{ type: "mrkdwn", text: context }] },
  ];
  if (link) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: link.label },
          url: link.url,
          style: facts.emergency ? "danger" : "primary",
        },
      ],
    });
  }
  return { text: escapeMrkdwn(title), blocks };
}

function teamsPayload(facts: NotificationFacts) {
  const link = channelLink(facts);
  const alert = facts.emergency || facts.event === "failed" || facts.event === "denied";
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: messageTitle(facts),
              weight: "Bolder",
              size: "Medium",
              wrap: true,
              ...(alert ? { color: "Attention" } : {}),
            },
            { type: "FactSet", facts: factRows(facts).map(([title, value]) => ({ title, value })) },
          ],
          actions: link ? [{ type: "Action.OpenUrl", title: link.label, url: link.url }] : [],
        },
      },
    ],
  };
}

export function renderWebhook(facts: NotificationFacts, kind: WebhookKind): WebhookMessage {
  switch (kind) {
    case "generic":
      return { kind, body: genericDocument(facts) };
    case "slack":
      return { kind, body: slackPayload(facts) };
    case "teams":
      return { kind, body: teamsPayload(facts) };
  }
}
