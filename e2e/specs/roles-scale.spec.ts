import { expect, test } from "@playwright/test";
import { closeDb, db } from "@/db";
import { findUser } from "@/server/directory/service";
import { upsertDirectoryUser } from "@/server/users/service";
import { seedScale, unseedScale } from "@/bench/scale-seed";
import { signInViaApi } from "../fixtures/auth";
import { RolesPage } from "../pages/roles";

/*
 * The roles page with hundreds of privileges (issue 15): the server's first HTML already lists
 * them; search, a tag filter and favourites find one; the list is bounded ("Show more"); it fits a
 * phone. erin is the requester, so the other specs' pages stay as they are; specs that run before
 * this one may have put erin in their access groups, so the totals are "at least the seed's 300".
 */

const PREFIX = "E2E scale";
const name = (i: number) => `${PREFIX} privilege ${String(i).padStart(4, "0")}`;

test.beforeAll(async () => {
  const found = (await findUser("erin"))!;
  await upsertDirectoryUser(db, found, false, false);
  const requester = { objectGuid: found.objectGuid, username: found.username, displayName: found.displayName, dn: found.dn };
  await seedScale({ privileges: 300, groups: 20, accounts: 100, tags: 4, prefix: PREFIX, requester });
});
test.afterAll(async () => {
  await unseedScale(PREFIX);
  await closeDb();
});

test("the first HTML of /roles lists privileges, not Loading…", async ({ page }) => {
  await signInViaApi(page, "erin");
  const html = await (await page.request.get("/roles")).text();
  expect(html).toContain(name(0));
  expect(html).not.toContain("Loading privileges…");
  const listed = Number(/(\d+) privileges</.exec(html)?.[1] ?? 0);
  expect(listed).toBeGreaterThanOrEqual(300);
});

test("search, tag filter, show more and a favourite listed first after reload", async ({ page }) => {
  await signInViaApi(page, "erin");
  const roles = new RolesPage(page);
  await roles.goto();
  const cards = page.locator("article");
  await expect(cards).toHaveCount(24);
  await page.getByRole("button", { name: "Show more" }).click();
  await expect(cards).toHaveCount(48);

  await page.getByLabel("Search privileges").fill("0150");
  await expect(page.getByText(/\b1 of \d+ privileges match/)).toBeVisible();
  await expect(cards).toHaveCount(1);
  await roles
    .card(name(150))
    .getByRole("button", { name: `Add ${name(150)} to favourites` })
    .click();
  await expect(roles.card(name(150)).getByRole("button", { name: `Remove ${name(150)} from favourites` })).toBeVisible();

  await page.getByLabel("Search privileges").fill("");
  await page.getByLabel("Tag").selectOption("e2e-scale-team-02");
  await expect(page.getByText(/\b75 of \d+ privileges match/)).toBeVisible();
  for (const tags of await cards.allInnerTexts()) expect(tags).toContain("e2e-scale-team-02");

  await page.reload();
  await expect(cards.first().getByRole("heading")).toHaveText(name(150));
});

test("fits a phone: no sideways scrolling at 390 px", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInViaApi(page, "erin");
  await new RolesPage(page).goto();
  await expect(page.locator("article").first()).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});
