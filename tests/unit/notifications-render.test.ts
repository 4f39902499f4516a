import { describe, expect, it } from "vitest";
import type { NotificationFacts } from "@/server/notifications/facts";
import { escapeHtml, messageTitle, renderEmail, type EmailAudience } from "@/server/notifications/render";
import { renderWebhook } from "@/server/notifications/render-webhook";
import { NOTIFICATION_EVENTS, WEBHOOK_KINDS, type NotificationEvent } from "@/server/notifications/schemas";

const LINKS = {
  decision: "https://interim.example.test/inbox/req-1?decide=1",
  extend: "https://interim.example.test/my-access?extend=grant-1",
  myAccess: "https://interim.example.test/my-access",
};

function makeFacts(overrides: Partial<NotificationFacts> = {}): NotificationFacts {
  return {
    event: "approval_needed",
    occurredAt: "2026-11-23T12:55:00.000Z",
    requestId: "req-1",
    grantId: "grant-1",
    requestKind: "access",
    requester: { username: "alice", displayName: "Alice Martin" },
    privilege: "Domain Admins",
    groupDn: "CN=Domain Admins,CN=Users,DC=corp,DC=example",
    account: null,
    accessGroup: "Tier 0",
    durationMinutes: 60,
    justification: "Patch the domain controllers",
    changeId: "CHG-1042",
    governanceCode: "GOV-7",
    emergency: false,
    outsideUsualHours: false,
    level: null,
    comment: null,
    actor: null,
    startsAt: "2026-11-23T12:05:00.000Z",
    expiresAt: "2026-11-23T13:05:00.000Z",
    error: null,
    timeZone: "Europe/Paris",
    links: { ...LINKS },
    ...overrides,
  };
}

const AUDIENCES: EmailAudience[] = ["requester", "approver", "observer"];
const DECISION_EVENTS: NotificationEvent[] = ["approval_needed", "emergency"];

function textLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim());
}

describe("renderEmail: every event for every audience", () => {
  const cases = NOTIFICATION_EVENTS.flatMap((event) => AUDIENCES.map((audience) => ({ event, audience })));

  it.each(cases)("$event to $audience: subject, facts and links", ({ event, audience }) => {
    const facts = makeFacts({ event, comment: "Not now", error: "LDAP 50 insufficient access", actor: "bob" });
    const mail = renderEmail(facts, audience);

    expect(mail.subject).toMatch(/^\[Interim\] \S/);
    expect(mail.subject).not.toMatch(/\n/);
    expect(mail.subject).toContain("Domain Admins");
    expect(mail.subject).toContain(audience === "requester" ? "Your" : "alice");

    for (const part of [mail.text, mail.html]) {
      expect(part).toContain("Alice Martin (alice)");
      expect(part).toContain("CN=Domain Admins,CN=Users,DC=corp,DC=example");
      expect(part).toContain("Patch the domain controllers");
      expect(part).toContain("CHG-1042");
      expect(part).toContain("GOV-7");
      expect(part).toContain("Tier 0");
      expect(part).toContain("req-1");
    }
    expect(mail.text).toMatch(/Account elevated:\s+alice$/m);

    const lines = textLines(mail.text);
    const wantsDecision = audience === "approver" && DECISION_EVENTS.includes(event);
    const wantsMyAccess = audience === "requester";
    const wantsExtend = audience === "requester" && event === "expiring_soon";
    expect(lines.includes(LINKS.decision)).toBe(wantsDecision);
    expect(lines.includes(LINKS.myAccess)).toBe(wantsMyAccess);
    expect(lines.includes(LINKS.extend)).toBe(wantsExtend);
    expect(mail.html.includes(`href="${escapeHtml(LINKS.decision)}"`)).toBe(wantsDecision);
    expect(mail.html.includes(`href="${escapeHtml(LINKS.myAccess)}"`)).toBe(wantsMyAccess);
    expect(mail.html.includes(`href="${escapeHtml(LINKS.extend)}"`)).toBe(wantsExtend);
    if (wantsDecision) expect(mail.text).toContain(`Open the decision:\n${LINKS.decision}\n`);
  });
});

describe("renderEmail: subjects", () => {
  it.each<{ name: string; facts: Partial<NotificationFacts>; audience: EmailAudience; subject: string }>([
    {
      name: "approval needed",
      facts: { event: "approval_needed" },
      audience: "approver",
      subject: "[Interim] Approval needed: alice requests Domain Admins (60 min)",
    },
    {
      name: "approval needed for an extension",
      facts: { event: "approval_needed", requestKind: "extension", durationMinutes: 30 },
      audience: "approver",
      subject: "[Interim] Approval needed: alice asks to extend Domain Admins by 30 min",
    },
    {
      name: "emergency",
      facts: { event: "emergency", emergency: true },
      audience: "approver",
      subject: "[Interim] EMERGENCY access: alice took Domain Admins",
    },
    {
      name: "granted, time in the group's zone",
      facts: { event: "granted" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins is active until 14:05 (Europe/Paris)",
    },
    {
      name: "granted until another day shows the date",
      facts: { event: "granted", expiresAt: "2026-11-24T13:05:00.000Z" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins is active until 2026-11-24 14:05 (Europe/Paris)",
    },
    {
      name: "extended",
      facts: { event: "extended", expiresAt: "2026-11-23T13:35:00.000Z" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins is extended until 14:35 (Europe/Paris)",
    },
    {
      name: "expiring soon",
      facts: { event: "expiring_soon" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins expires in 10 min",
    },
    {
      name: "denied with the comment",
      facts: { event: "denied", comment: "Use the change window\non Friday", actor: "bob" },
      audience: "requester",
      subject: "[Interim] Your request for Domain Admins (60 min) was denied: Use the change window on Friday",
    },
    {
      name: "denied, told to an observer",
      facts: { event: "denied", comment: "No ticket", actor: "bob" },
      audience: "observer",
      subject: "[Interim] Denied: alice's request for Domain Admins by bob: No ticket",
    },
    {
      name: "failed with the error",
      facts: { event: "failed", error: "Insufficient access rights on the group" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins could not be activated: Insufficient access rights on the group",
    },
    {
      name: "revoked by an admin",
      facts: { event: "revoked", actor: "carol" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins was revoked by carol",
    },
    {
      name: "ended early by the requester",
      facts: { event: "revoked", actor: "alice" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins was ended early",
    },
    {
      name: "expired",
      facts: { event: "expired" },
      audience: "requester",
      subject: "[Interim] Your access to Domain Admins has ended",
    },
  ])("$name", ({ facts, audience, subject }) => {
    expect(renderEmail(makeFacts(facts), audience).subject).toBe(subject);
  });

  it("keeps a very long comment out of the subject but whole in the body", () => {
    const comment = `${"x".repeat(300)} END`;
    const mail = renderEmail(makeFacts({ event: "denied", comment }), "requester");
    expect(mail.subject.length).toBeLessThan(200);
    expect(mail.subject).not.toContain("END");
    expect(mail.text).toContain(comment);
  });
});

describe("renderEmail: body", () => {
  it("states the approval level to approvers", () => {
    const mail = renderEmail(makeFacts({ level: { current: 1, of: 2 } }), "approver");
    expect(mail.text).toContain("Your decision is needed (level 1 of 2).");
    expect(mail.text).toMatch(/Approval:\s+level 1 of 2$/m);
    expect(mail.html).toContain("level 1 of 2");
  });

  it("flags emergency and outside usual hours, and only when set", () => {
    const flagged = renderEmail(makeFacts({ event: "emergency", emergency: true, outsideUsualHours: true }), "approver");
    expect(flagged.text).toMatch(/Flags:\s+EMERGENCY, Outside usual hours$/m);
    expect(flagged.html).toContain("Emergency access");
    const plain = renderEmail(makeFacts({ event: "granted" }), "observer");
    expect(plain.text).not.toContain("Outside usual hours");
    expect(plain.text).not.toContain("EMERGENCY");
    expect(plain.text).not.toContain("Flags:");
  });

  it("names the privileged account elevated when it is not the requester's own", () => {
    const mail = renderEmail(makeFacts({ account: "adm-alice" }), "approver");
    expect(mail.text).toMatch(/Account elevated:\s+adm-alice$/m);
    expect(mail.html).toContain("adm-alice");
  });

  it("describes an extension request", () => {
    const mail = renderEmail(makeFacts({ requestKind: "extension", durationMinutes: 30 }), "approver");
    expect(mail.text).toContain("alice asks to extend Domain Admins by 30 min");
    expect(mail.text).toMatch(/Extension:\s+\+30 min$/m);
  });

  it("shows times in the access group's zone", () => {
    const mail = renderEmail(makeFacts({ event: "granted", timeZone: "America/New_York" }), "requester");
    expect(mail.subject).toBe("[Interim] Your access to Domain Admins is active until 08:05 (America/New_York)");
    expect(mail.text).toMatch(/Starts:\s+2026-11-23 07:05 \(America\/New_York\)$/m);
    expect(mail.text).toMatch(/Expires:\s+2026-11-23 08:05 \(America\/New_York\)$/m);
    expect(mail.text).toContain("active until 2026-11-23 08:05 (America/New_York).");
  });

  it("falls back to UTC for an unknown zone rather than printing garbage", () => {
    const mail = renderEmail(makeFacts({ event: "granted", timeZone: "Mars/Olympus" }), "requester");
    expect(mail.subject).toBe("[Interim] Your access to Domain Admins is active until 13:05 (UTC)");
  });

  it("offers Extend first on expiring_soon, and no Extend when the privilege cannot be extended", () => {
    const extendable = renderEmail(makeFacts({ event: "expiring_soon" }), "requester");
    expect(extendable.text.indexOf(`\n${LINKS.extend}\n`)).toBeLessThan(extendable.text.indexOf(`\n${LINKS.myAccess}\n`));
    expect(extendable.text).toContain(`Extend:\n${LINKS.extend}\n`);
    const fixed = renderEmail(makeFacts({ event: "expiring_soon", links: { ...LINKS, extend: null } }), "requester");
    expect(fixed.text).not.toContain("Extend:");
    expect(fixed.text).not.toContain(LINKS.extend);
    expect(fixed.text).toContain(`\n${LINKS.myAccess}\n`);
  });

  it("escapes every interpolated value in the HTML part", () => {
    const hostile = `<script>alert("x")</script> & 'more'`;
    const mail = renderEmail(
      makeFacts({
        justification: hostile,
        requester: { username: "alice", displayName: "<img src=x onerror=alert(1)>" },
        privilege: "Ops <b>Admins</b>",
        comment: hostile,
        links: { ...LINKS, decision: `https://interim.example.test/x?a=1&b="><script>` },
      }),
      "approver",
    );
    expect(mail.html).not.toMatch(/<script|<img|<b>/i);
    expect(mail.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;");
    expect(mail.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(mail.html).toContain(`href="https://interim.example.test/x?a=1&amp;b=&quot;&gt;&lt;script&gt;"`);
    // The text part is plain text: shown as typed.
    expect(mail.text).toContain(hostile);
  });

  it("keeps a multi-line justification readable in the text part", () => {
    const mail = renderEmail(makeFacts({ justification: "Line one\nLine two" }), "approver");
    expect(mail.text).toMatch(/Justification:\s+Line one\n\s+Line two\n/);
  });
});

describe("messageTitle", () => {
  it.each(NOTIFICATION_EVENTS)("%s names the requester and the privilege on one line", (event) => {
    const title = messageTitle(makeFacts({ event, comment: "a\nb", error: "e\nf" }));
    expect(title).toContain("alice");
    expect(title).toContain("Domain Admins");
    expect(title).not.toContain("\n");
  });
});

describe("renderWebhook: every event for every kind", () => {
  const cases = NOTIFICATION_EVENTS.flatMap((event) => WEBHOOK_KINDS.map((kind) => ({ event, kind })));

  it.each(cases)("$event as $kind survives a JSON round trip and carries the title", ({ event, kind }) => {
    const facts = makeFacts({ event });
    const message = renderWebhook(facts, kind);
    expect(message.kind).toBe(kind);
    const json = JSON.stringify(message.body);
    expect(JSON.parse(json)).toEqual(message.body);
    if (kind === "generic") expect(json).toContain(`"type":"interim.${event}"`);
    else expect(json).toContain(JSON.stringify(messageTitle(facts)));
  });
});

describe("renderWebhook: generic", () => {
  it("is the stable, versioned document", () => {
    const facts = makeFacts({ event: "denied", level: { current: 2, of: 2 }, comment: "No", actor: "bob", outsideUsualHours: true });
    expect(renderWebhook(facts, "generic").body).toEqual({
      type: "interim.denied",
      version: 1,
      occurredAt: "2026-11-23T12:55:00.000Z",
      request: {
        id: "req-1",
        kind: "access",
        requester: { username: "alice", displayName: "Alice Martin" },
        privilege: "Domain Admins",
        groupDn: "CN=Domain Admins,CN=Users,DC=corp,DC=example",
        account: "alice",
        accessGroup: "Tier 0",
        durationMinutes: 60,
        justification: "Patch the domain controllers",
        changeId: "CHG-1042",
        governanceCode: "GOV-7",
        emergency: false,
        outsideUsualHours: true,
        level: { current: 2, of: 2 },
        startsAt: "2026-11-23T12:05:00.000Z",
        expiresAt: "2026-11-23T13:05:00.000Z",
      },
      grantId: "grant-1",
      comment: "No",
      actor: "bob",
      error: null,
      links: LINKS,
    });
  });

  it("reports the privileged account when one is elevated", () => {
    const body = renderWebhook(makeFacts({ account: "adm-alice" }), "generic").body as { request: { account: string } };
    expect(body.request.account).toBe("adm-alice");
  });
});

interface SlackBody {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; elements?: Record<string, unknown>[] }[];
}

describe("renderWebhook: slack", () => {
  it("is a section, a context and a button to the decision", () => {
    const body = renderWebhook(makeFacts({ level: { current: 1, of: 2 } }), "slack").body as SlackBody;
    expect(body.text).toBe("Approval needed: alice requests Domain Admins (60 min)");
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "context", "actions"]);
    const section = body.blocks[0]!.text!;
    expect(section.type).toBe("mrkdwn");
    expect(section.text).toMatch(/^\*Approval needed: alice requests Domain Admins \(60 min\)\*\n/);
    expect(section.text).toContain("*Justification:* Patch the domain controllers");
    expect(section.text).toContain("*Approval:* level 1 of 2");
    expect(body.blocks[1]!.elements![0]).toEqual({ type: "mrkdwn", text: expect.stringContaining("2026-11-23 13:55 (Europe/Paris)") });
    expect(body.blocks[2]!.elements).toEqual([
      { type: "button", text: { type: "plain_text", text: "Open the decision" }, url: LINKS.decision, style: "primary" },
    ]);
  });

  it("has no button when there is nothing to decide", () => {
    const body = renderWebhook(makeFacts({ event: "expired" }), "slack").body as SlackBody;
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "context"]);
  });

  it("escapes &, < and > so typed text cannot ping a channel or forge a link", () => {
    const body = renderWebhook(
      makeFacts({ justification: "<!channel> see <https://evil.example|the doc> & >", requester: { username: "a<b>", displayName: "A&B" } }),
      "slack",
    ).body as SlackBody;
    const section = body.blocks[0]!.text!.text;
    expect(section).toContain("&lt;!channel&gt; see &lt;https://evil.example|the doc&gt; &amp; &gt;");
    expect(section).not.toContain("<!channel>");
    expect(body.text).toContain("a&lt;b&gt;");
    expect(section).toContain("A&amp;B (a&lt;b&gt;)");
  });
});

interface TeamsBody {
  type: string;
  attachments: {
    contentType: string;
    content: {
      $schema: string;
      type: string;
      version: string;
      body: Record<string, unknown>[];
      actions: Record<string, unknown>[];
    };
  }[];
}

describe("renderWebhook: teams", () => {
  it("is an Adaptive Card with a title, the facts and a link to the decision", () => {
    const body = renderWebhook(makeFacts({ event: "emergency", emergency: true }), "teams").body as TeamsBody;
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const attachment = body.attachments[0]!;
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const card = attachment.content;
    expect(card).toMatchObject({ $schema: "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.4" });
    expect(card.body[0]).toMatchObject({ type: "TextBlock", text: "EMERGENCY access: alice took Domain Admins", wrap: true, color: "Attention" });
    expect(card.body[1]!.type).toBe("FactSet");
    expect(card.body[1]!.facts).toEqual(
      expect.arrayContaining([
        { title: "Privilege", value: "Domain Admins" },
        { title: "Justification", value: "Patch the domain controllers" },
        { title: "Flags", value: "EMERGENCY" },
        { title: "Expires", value: "2026-11-23 14:05 (Europe/Paris)" },
      ]),
    );
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "Open the decision", url: LINKS.decision }]);
  });

  it("has no action when there is nothing to decide", () => {
    const body = renderWebhook(makeFacts({ event: "granted" }), "teams").body as TeamsBody;
    expect(body.attachments[0]!.content.actions).toEqual([]);
    expect(body.attachments[0]!.content.body[0]).not.toHaveProperty("color");
  });
});

describe("an undecided request that expired (no grant)", () => {
  it("says the request expired without a decision, not that access ended", () => {
    const facts = makeFacts({ event: "expired", grantId: null });
    expect(renderEmail(facts, "requester").subject).toMatch(/expired: nobody decided in time/);
    expect(renderEmail(facts, "requester").subject).not.toMatch(/has ended/);
    expect(messageTitle(facts)).toMatch(/^Expired without a decision/);
    expect(renderEmail(makeFacts({ event: "expired" }), "requester").subject).toMatch(/has ended/);
  });
});

describe("an extension that could not be applied", () => {
  it("says the extension failed, not that access could not be activated", () => {
    const facts = makeFacts({ event: "failed", requestKind: "extension", error: "The access ended before the extension could be applied." });
    expect(renderEmail(facts, "requester").subject).toMatch(/request to extend .* could not be applied: The access ended/);
    expect(messageTitle(facts)).toMatch(/^Failed: alice's extension of .* could not be applied/);
  });
});
