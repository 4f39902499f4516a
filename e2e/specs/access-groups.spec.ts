import { expect, test, type Browser, type Page } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, isMember } from "../fixtures/directory";
import { AccessGroupPages } from "../pages/access-groups";
import { RolesPage } from "../pages/roles";

/*
 * Issue 3 end to end: an admin builds an access group through its six tabs; the requester page
 * shows exactly what it allows; limits, locations and disabling are enforced by the server.
 * The web server trusts loopback as a proxy (playwright.config.ts), so a context's
 * X-Forwarded-For header says where its requester is. The addresses resolve with the bundled
 * GeoIP database (tests/support/geo-ips.ts): 80.12.0.1 is in France (FR-IDF), 85.214.0.1 in
 * Germany (DE-BE).
 */

const GROUP = "E2E Web team";
const ALLOWED = "Web farm administration";
const NOT_ALLOWED = "SQL Server administration";
const PARIS = "80.12.0.1";
const BERLIN = "85.214.0.1";

/** HH:MM in UTC, `minutes` from now. */
function utcClock(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000);
  return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
}

async function asUser(browser: Browser, username: string, ip?: string): Promise<Page> {
  const context = await browser.newContext(ip ? { extraHTTPHeaders: { "X-Forwarded-For": ip } } : {});
  const page = await context.newPage();
  await signInViaApi(page, username);
  return page;
}

async function setWindow(groups: AccessGroupPages, from: string, to: string) {
  const page = groups.page;
  await groups.tab("Limits");
  if ((await page.getByLabel("Window 1 from").count()) === 0) await page.getByRole("button", { name: "Add time window" }).click();
  await page.getByLabel("Window 1 from").fill(from);
  await page.getByLabel("Window 1 to").fill(to);
  await groups.save("Save limits", "Limits saved");
}

test("an admin builds an access group through its six tabs and the server enforces it", async ({ browser }) => {
  test.setTimeout(240_000);
  const admin = await asUser(browser, "carol");
  const groups = new AccessGroupPages(admin);
  const ldap = await adminLdap();
  try {
    // 1. Settings: a new group in UTC that asks for a change ID and activates new members itself.
    await groups.create(GROUP, "UTC");
    await admin.getByLabel("Requires change ID").check();
    await admin.getByLabel("Automatically grant access on provisioning").check();
    await groups.save("Save settings", "Settings saved");

    // 2. Criteria: only the web privilege; the preview says so before saving.
    await groups.tab("Criteria");
    await admin.getByLabel("Privilege names").fill("Web*");
    const preview = admin.getByRole("region", { name: "Preview" });
    await expect(preview.getByText(/1 of \d+ privileges/)).toBeVisible();
    await expect(preview.getByText(ALLOWED)).toBeVisible();
    await groups.save("Save criteria", "Criteria saved");

    // 3. Users: bob, found in the directory.
    await groups.tab("Users");
    await admin.getByLabel("Search the directory").fill("bob");
    await admin.getByRole("button", { name: "Add bob" }).click();
    const bobEntry = admin.getByRole("listitem", { name: "bob", exact: true });
    await expect(bobEntry).toBeVisible();
    await expect(bobEntry.getByText("Active", { exact: true })).toBeVisible();

    // 4. Approvers: erin on level 1 (approval itself stays off for this group).
    await groups.tab("Approvers");
    await admin.getByLabel("Search people").fill("erin");
    await admin.getByRole("button", { name: "Add erin" }).click();
    await groups.save("Save approvers", "Approvers saved");

    // 5. Limits: a window open now (from an hour ago to two hours ahead, UTC).
    await setWindow(groups, utcClock(-60), utcClock(120));

    // 6. Locations: France only.
    await groups.tab("Locations");
    await admin.getByLabel("Restrict access to these locations").check();
    await admin.getByLabel("Country").selectOption("FR");
    await admin.getByRole("button", { name: "Add location" }).click();
    await expect(admin.getByRole("listitem", { name: "FR", exact: true })).toBeVisible();
    await groups.save("Save locations", "Locations saved");

    // bob, from Paris, sees exactly the web privilege and gets it with a change ID.
    const bob = await asUser(browser, "bob", PARIS);
    const roles = new RolesPage(bob);
    await roles.goto();
    await expect(roles.card(ALLOWED)).toBeVisible();
    await expect(bob.getByRole("heading", { name: NOT_ALLOWED })).toHaveCount(0);
    await roles.card(ALLOWED).getByRole("button", { name: "Request" }).click();
    await expect(bob.getByRole("status").filter({ hasText: `Allowed by ${GROUP}` })).toBeVisible();
    await expect(bob.getByLabel("Justification")).toHaveCount(0);
    await bob.getByLabel("Duration (minutes)").fill("30");
    await bob.getByLabel("Change ID").fill("CHG-4711");
    await bob.getByRole("button", { name: "Submit request" }).click();
    const row = roles.accessRow(ALLOWED);
    await expect(row.getByText("Active", { exact: true })).toBeVisible({ timeout: 30_000 });
    expect(await isMember(ldap, "JIT Web Admins", "bob")).toBe(true);
    await roles.endNow(row);

    // dave is in no group: nothing to request.
    const dave = await asUser(browser, "dave", PARIS);
    await new RolesPage(dave).goto();
    await expect(dave.getByText("You are not in any access group")).toBeVisible();
    await expect(dave.getByRole("button", { name: "Request" })).toHaveCount(0);

    // bob from Berlin is refused by the location rule, on the card and by the server.
    const bobAbroad = await asUser(browser, "bob", BERLIN);
    const rolesAbroad = new RolesPage(bobAbroad);
    await rolesAbroad.goto();
    const card = rolesAbroad.card(ALLOWED);
    await expect(card.getByText(/Access from DE-BE is not allowed; allowed locations: FR/)).toBeVisible();
    await card.getByRole("button", { name: "Request" }).click();
    await bobAbroad.getByRole("button", { name: "Submit request" }).click();
    await expect(bobAbroad.getByRole("alert").filter({ hasText: /Refused \(location\).*DE-BE/ })).toBeVisible();

    // Outside the time window: the server refuses with the hours it allows.
    await setWindow(groups, utcClock(120), utcClock(180));
    await roles.goto();
    await expect(roles.card(ALLOWED).getByText(/Not available right now: .*Outside the allowed hours/)).toBeVisible();
    await roles.card(ALLOWED).getByRole("button", { name: "Request" }).click();
    await bob.getByRole("button", { name: "Submit request" }).click();
    await expect(bob.getByRole("alert").filter({ hasText: /Refused \(hours\).*Outside the allowed hours/ })).toBeVisible();

    // Disabling the group hides its privileges at once.
    await groups.tab("Settings");
    await admin.getByLabel("Enabled").uncheck();
    await groups.save("Save settings", "Settings saved");
    await roles.goto();
    await expect(bob.getByRole("heading", { name: "Available privileges" })).toBeVisible();
    // (My access still lists bob's earlier request; the requestable card is the article.)
    await expect(bob.getByRole("article", { name: ALLOWED })).toHaveCount(0);
    await expect(bob.getByText("Your access groups allow no privilege right now")).toBeVisible();
  } finally {
    await ldap.unbind();
    await Promise.all(browser.contexts().map((c) => c.close()));
  }
});
