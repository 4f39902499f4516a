import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember } from "../fixtures/directory";
import { AccessGroupPages } from "../pages/access-groups";
import { InboxPage } from "../pages/inbox";
import { RolesPage } from "../pages/roles";

/*
 * Issue 4 end to end, on a phone: a request to a group with approval in levels waits for level 1
 * (bob), then level 2 (carol), and the last approval grants it; a denial and a cancellation end a
 * request without access. erin is the requester, and no other spec has her request anything.
 * The group is built through the admin pages (on a desktop screen, as admins use them).
 */

const PHONE = { width: 375, height: 800 };
test.use({ viewport: PHONE });

const GROUP = "E2E Approvals";
const PRIVILEGE = "Backup operators";
const AD_GROUP = "JIT Backup Operators";
// Loopback is the trusted proxy (playwright.config.ts): this address resolves to FR-IDF.
const PARIS = "80.12.0.1";

async function asUser(browser: Browser, username: string, opts: { phone?: boolean; ip?: string } = {}): Promise<Page> {
  const context = await browser.newContext({
    ...(opts.phone === false ? {} : { viewport: PHONE }),
    ...(opts.ip ? { extraHTTPHeaders: { "X-Forwarded-For": opts.ip } } : {}),
  });
  const page = await context.newPage();
  await signInViaApi(page, username);
  return page;
}

async function noHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/** erin asks for the privilege; the group asks for nothing but a duration. */
async function requestAsErin(roles: RolesPage, minutes: number) {
  const page = roles.page;
  await roles.goto();
  await roles.card(PRIVILEGE).getByRole("button", { name: "Request" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Allowed by ${GROUP}; needs approval first` })).toBeVisible();
  await expect(page.getByLabel("Justification")).toHaveCount(0);
  await page.getByLabel("Duration (minutes)").fill(String(minutes));
  await page.getByRole("button", { name: "Submit request" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Request submitted to ${GROUP}; it waits for approval` })).toBeVisible();
  const row = roles.accessRow(PRIVILEGE);
  await expect(row.getByText("Pending", { exact: true })).toBeVisible();
  await expect(row.getByText(`Waiting for approval — level 1 of 2 (access group ${GROUP}).`)).toBeVisible();
  return row;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const admin = await asUser(browser, "carol", { phone: false });
  const groups = new AccessGroupPages(admin);
  try {
    await groups.buildWithApprovers({
      name: GROUP,
      settings: ["Requires approval", "Approval in levels", "Automatically grant access on provisioning", "Allows emergency access"],
      privilegeNames: "Backup*",
      previewShows: PRIVILEGE,
      requesters: ["erin"],
      approvers: [{ username: "bob" }, { username: "carol", level: 2 }],
    });
  } finally {
    await admin.context().close();
  }
});

test("level 1 then level 2 approve, the last one shortens the duration, and access is granted", async ({ browser }) => {
  const ldap = await adminLdap();
  try {
    const erin = await asUser(browser, "erin", { ip: PARIS });
    const roles = new RolesPage(erin);
    const row = await requestAsErin(roles, 30);

    // Nobody decides on their own request: erin has nothing to approve.
    const erinInbox = new InboxPage(erin);
    await erinInbox.goto();
    await expect(erinInbox.emptyState()).toBeVisible();

    // Level 2 sees nothing until level 1 has approved.
    const carol = await asUser(browser, "carol");
    const carolInbox = new InboxPage(carol);
    await carolInbox.goto();
    await expect(carolInbox.emptyState()).toBeVisible();

    // Level 1: bob sees everything he decides on, on a phone, without sideways scrolling.
    const bob = await asUser(browser, "bob");
    const bobInbox = new InboxPage(bob);
    await bobInbox.goto();
    const card = bobInbox.card("erin", PRIVILEGE);
    await expect(card).toBeVisible();
    await expect(bobInbox.detail(card, "Level")).toHaveText("1 of 2");
    await expect(bobInbox.detail(card, "Access group")).toHaveText(GROUP);
    await expect(bobInbox.detail(card, "Duration")).toHaveText("30 min");
    await expect(bobInbox.detail(card, "Location")).toHaveText("FR-IDF");
    await expect(bobInbox.detail(card, "Justification")).toHaveText("None given");
    await expect(card.getByText("Emergency", { exact: true })).toHaveCount(0);
    await noHorizontalScroll(bob);
    const axe = await new AxeBuilder({ page: bob }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);

    await bobInbox.decide(card, "approve", { comment: "e2e: fine by level 1" });
    await expect(bobInbox.outcome(`Approved — level 2 next: ${PRIVILEGE} for`)).toBeVisible();
    await expect(card).toHaveCount(0);
    await expect(bobInbox.emptyState()).toBeVisible();
    const bobDecision = bobInbox.decisions().getByRole("listitem", { name: `erin ${PRIVILEGE} level 1` });
    await expect(bobDecision.getByText("Approved", { exact: true })).toBeVisible();
    await expect(bobDecision.getByText("“e2e: fine by level 1”")).toBeVisible();

    // The request is still waiting for erin, now at level 2.
    await roles.goto();
    await expect(row.getByText("Pending", { exact: true })).toBeVisible();

    // Level 2: carol follows the deep link to the card, which is highlighted and focused, and shortens to 20 minutes.
    await carolInbox.goto();
    const carolCard = carolInbox.card("erin", PRIVILEGE);
    await expect(carolCard).toBeVisible({ timeout: 15_000 });
    await expect(carolInbox.detail(carolCard, "Level")).toHaveText("2 of 2");
    const requestId = await carolInbox.requestIdOf(carolCard);
    await carolInbox.goto(requestId);
    await expect(carolCard).toHaveAttribute("aria-current", "true");
    await expect(carolCard).toBeFocused();
    await expect(carolCard.getByText("From your link")).toBeVisible();
    // Lengthening is refused before it reaches the server.
    await carolInbox.decide(carolCard, "approve", { shortenTo: 45 });
    await expect(carolCard.getByText("At most 30 minutes: approvers can shorten, not lengthen")).toBeVisible();
    await carolCard.getByRole("button", { name: "Cancel", exact: true }).click();
    await carolInbox.decide(carolCard, "approve", { shortenTo: 20 });
    await expect(carolInbox.outcome(`Approved — access is being granted: ${PRIVILEGE} for`)).toBeVisible();
    await expect(carolCard).toHaveCount(0);
    await expect(
      carolInbox
        .decisions()
        .getByRole("listitem", { name: `erin ${PRIVILEGE} level 2` })
        .getByText(/shortened to 20 min/),
    ).toBeVisible();

    // erin's access runs for the 20 minutes approved, not the 30 asked, and AD agrees.
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(row.getByText(/Expires in (19|20):\d\d/)).toBeVisible();
    await expect(row.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(true);

    await roles.endNow(row);
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(false);
  } finally {
    await ldap.unbind();
    await Promise.all(browser.contexts().map((c) => c.close()));
  }
});

test("a denial ends the request without access, and a requester cancels a waiting one", async ({ browser }) => {
  const ldap = await adminLdap();
  try {
    const erin = await asUser(browser, "erin");
    const roles = new RolesPage(erin);
    const bob = await asUser(browser, "bob");
    const bobInbox = new InboxPage(bob);

    // Denied at level 1, with a comment: the approval step fails and no grant is made.
    const denied = await requestAsErin(roles, 15);
    await bobInbox.goto();
    await bobInbox.decide(bobInbox.card("erin", PRIVILEGE), "deny", { comment: "e2e: not during the backup window" });
    await expect(bobInbox.outcome(`Denied — ${PRIVILEGE} for`)).toBeVisible();
    await expect(bobInbox.emptyState()).toBeVisible();
    const decision = bobInbox
      .decisions()
      .getByRole("listitem", { name: `erin ${PRIVILEGE} level 1` })
      .first();
    await expect(decision.getByText("Denied", { exact: true })).toBeVisible();
    await expect(decision.getByText("“e2e: not during the backup window”")).toBeVisible();

    // erin reads why on her row.
    await roles.goto();
    await expect(denied.getByText("Revoked", { exact: true })).toBeVisible();
    await expect(denied.getByText(/Denied at .*: “e2e: not during the backup window”/)).toBeVisible();
    await expect(denied.getByText("Approved (failed)")).toBeAttached();
    await expect(denied.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
    await expect(denied.getByRole("button", { name: "End now" })).toHaveCount(0);
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(false);

    // Asked again, then withdrawn before anyone decides: it leaves bob's inbox.
    const waiting = await requestAsErin(roles, 15);
    await bobInbox.goto();
    await expect(bobInbox.card("erin", PRIVILEGE)).toBeVisible();
    await waiting.getByRole("button", { name: "Cancel request" }).click();
    await waiting.getByRole("button", { name: "Confirm cancel" }).click();
    await expect(waiting.getByText("Revoked", { exact: true })).toBeVisible();
    await expect(waiting.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
    await expect(waiting.getByText(/Waiting for approval/)).toHaveCount(0);
    await bobInbox.goto();
    await expect(bobInbox.emptyState()).toBeVisible();
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(false);
  } finally {
    await ldap.unbind();
    await Promise.all(browser.contexts().map((c) => c.close()));
  }
});

test("emergency access is active at once and waits in the approvers' inbox for a review", async ({ browser }) => {
  const ldap = await adminLdap();
  try {
    const erin = await asUser(browser, "erin", { ip: PARIS });
    const roles = new RolesPage(erin);
    await roles.goto();
    await roles.card(PRIVILEGE).getByRole("button", { name: "Request" }).click();
    await erin.getByLabel("Emergency access").check();
    // An emergency skips approval but always needs a reason.
    await expect(erin.getByRole("status").filter({ hasText: `Allowed by ${GROUP}. Access would end by` })).toBeVisible();
    await erin.getByLabel("Duration (minutes)").fill("10");
    await erin.getByLabel("Justification").fill("e2e: backups failing in production");
    await erin.getByRole("button", { name: "Submit request" }).click();
    const row = roles.accessRow(PRIVILEGE);
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(true);

    const bob = await asUser(browser, "bob");
    await bob.goto("/inbox");
    const review = bob.getByRole("listitem", { name: `Emergency erin ${PRIVILEGE}` });
    await expect(review).toBeVisible();
    await expect(review.getByText("“e2e: backups failing in production”")).toBeVisible();
    await review.getByLabel("Review comment (optional)").fill("e2e: matches the incident");
    await review.getByRole("button", { name: "Mark reviewed" }).click();
    await review.getByRole("button", { name: "Confirm reviewed" }).click();
    await expect(bob.getByRole("heading", { name: "Emergency access to review" })).toHaveCount(0);

    await roles.endNow(row);
    expect(await isMember(ldap, AD_GROUP, "erin")).toBe(false);
  } finally {
    await ldap.unbind();
  }
});
