import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { adminLdap, emptyGroup, ensureGroup, isMember } from "../fixtures/directory";
import { closeSeed, createOwnAccountSet, publishGroup } from "../fixtures/seed";
import { PrivilegeSetsPage } from "../pages/privilege-sets";
import { RolesPage } from "../pages/roles";

/*
 * Issue 5, privilege sets: an admin bundles two privileges with the privileged account adm-alice;
 * alice asks for the set once, for adm-alice, and AD has adm-alice in both groups; ending it takes
 * both away. The groups are this spec's own, so no other spec's directory state is touched.
 */

// The spec's own groups, apart from the demo's JIT groups that other specs use.
const GROUPS = { files: "E2E Set Files", print: "E2E Set Print" } as const;
const PRIVILEGES = { files: "E2E file servers", print: "E2E print servers" } as const;
const SET = "E2E server operators";
/** Made by the seed, for the phone test. */
const PHONE_SET = "E2E own-account set";

test.beforeAll(async () => {
  const ldap = await adminLdap();
  try {
    for (const cn of Object.values(GROUPS)) await emptyGroup(ldap, await ensureGroup(ldap, cn, "e2e privilege sets"));
  } finally {
    await ldap.unbind();
  }
  // Tagged "demo": the seeded access group Demo operators (alice, adm-alice) allows them.
  const files = await publishGroup(GROUPS.files, { name: PRIVILEGES.files, tags: ["demo"], maxDurationMinutes: 60 });
  const print = await publishGroup(GROUPS.print, { name: PRIVILEGES.print, tags: ["demo"], maxDurationMinutes: 30 });
  await createOwnAccountSet(PHONE_SET, [files.id, print.id]);
  await closeSeed();
});

async function expectAxeClean(page: Page) {
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

test("an admin creates a set; a requester asks for it once and every membership appears in AD, then goes", async ({ browser }) => {
  const ldap = await adminLdap();
  const adminCtx = await browser.newContext();
  const requesterCtx = await browser.newContext();
  try {
    const page = await adminCtx.newPage();
    await signInViaApi(page, "carol");
    const sets = new PrivilegeSetsPage(page);
    await sets.goto();
    await expect(sets.heading()).toBeVisible();
    const form = await sets.openCreateForm("adm-alice");
    await form.getByLabel("Name").fill(SET);
    await form.getByLabel("Description").fill("File and print servers, for the admin account");
    // Nothing chosen: refused on the fields, with what to do.
    await form.getByRole("button", { name: "Create set" }).click();
    await expect(form.getByText("Pick at least one privilege", { exact: true })).toBeVisible();
    await expect(form.getByText(/Pick at least one privileged account/)).toBeVisible();
    await expectAxeClean(page);

    await form.getByRole("checkbox", { name: new RegExp(PRIVILEGES.files) }).check();
    await form.getByRole("checkbox", { name: new RegExp(PRIVILEGES.print) }).check();
    await expect(form.getByText(/lasts at most 30 min/)).toBeVisible();
    await form.getByRole("checkbox", { name: "adm-alice" }).check();
    await form.getByRole("button", { name: "Create set" }).click();
    await expect(page.getByText(`Saved “${SET}”.`)).toBeVisible();
    const card = sets.card(SET);
    await expect(card.getByText(`${PRIVILEGES.files}, ${PRIVILEGES.print}`)).toBeVisible();
    await expect(card.getByText("adm-alice")).toBeVisible();

    // alice asks for the set: one request, for adm-alice (the set's only account).
    const requester = await requesterCtx.newPage();
    await signInViaApi(requester, "alice");
    const roles = new RolesPage(requester);
    await roles.goto();
    const setCard = roles.card(SET);
    await expect(setCard.getByRole("list", { name: `Privileges of ${SET}` })).toContainText(PRIVILEGES.print);
    await setCard.getByRole("button", { name: "Request" }).click();
    const account = setCard.getByLabel("Account");
    await expect(account.locator("option")).toHaveText(["adm-alice"]);
    await setCard.getByLabel("Duration (minutes)").fill("20");
    await setCard.getByLabel("Justification").fill("e2e: patch the file and print servers");
    await setCard.getByRole("button", { name: "Submit request" }).click();

    const row = roles.accessRow(SET);
    await expect(row.getByText("Active", { exact: true }).first()).toBeVisible({ timeout: 30_000 });
    const grantsOfSet = row.getByRole("list", { name: `Privileges of ${SET}` });
    await expect(grantsOfSet.getByRole("listitem")).toHaveCount(2);
    await expect(grantsOfSet.getByRole("listitem").filter({ hasText: "Active" })).toHaveCount(2);
    expect(await isMember(ldap, GROUPS.files, "adm-alice")).toBe(true);
    expect(await isMember(ldap, GROUPS.print, "adm-alice")).toBe(true);
    expect(await isMember(ldap, GROUPS.files, "alice")).toBe(false);
    await expectAxeClean(requester);

    // The set is held as one: ending it removes both memberships.
    await row.getByRole("button", { name: "End all now" }).click();
    await row.getByRole("button", { name: "Confirm end all now" }).click();
    await expect(row.getByText("Revoked", { exact: true }).first()).toBeVisible({ timeout: 30_000 });
    await expect(grantsOfSet.getByRole("listitem").filter({ hasText: "Revoked" })).toHaveCount(2);
    expect(await isMember(ldap, GROUPS.files, "adm-alice")).toBe(false);
    expect(await isMember(ldap, GROUPS.print, "adm-alice")).toBe(false);
  } finally {
    await adminCtx.close();
    await requesterCtx.close();
    await ldap.unbind();
  }
});

test("the privilege sets page works on a 375 px phone screen, and a disabled set leaves the requester's page", async ({ browser }) => {
  const adminCtx = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const requesterCtx = await browser.newContext();
  try {
    const requester = await requesterCtx.newPage();
    await signInViaApi(requester, "alice");
    const roles = new RolesPage(requester);
    await roles.goto();
    await expect(roles.card(PHONE_SET)).toBeVisible();

    const page = await adminCtx.newPage();
    await signInViaApi(page, "carol");
    const sets = new PrivilegeSetsPage(page);
    await sets.goto();
    const card = sets.card(PHONE_SET);
    await expect(card.getByText("the requester's own account")).toBeVisible();
    await card.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: `Edit ${PHONE_SET}` });
    await expect(form.getByRole("checkbox", { name: "Also for the requester's own account" })).toBeChecked();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAxeClean(page);

    await form.getByRole("checkbox", { name: "Enabled" }).uncheck();
    await form.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByText(`Saved “${PHONE_SET}”.`)).toBeVisible();
    await expect(card.getByText("Disabled", { exact: true })).toBeVisible();
    await roles.goto();
    await expect(roles.card(PRIVILEGES.files)).toBeVisible();
    await expect(roles.card(PHONE_SET)).toHaveCount(0);
  } finally {
    await adminCtx.close();
    await requesterCtx.close();
  }
});
