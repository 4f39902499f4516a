import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { like } from "drizzle-orm";
import { closeDb, db } from "@/db";
import { privileges } from "@/db/schema";
import { signInViaApi } from "../fixtures/auth";
import { PRIVILEGE_OU } from "../fixtures/directory";

/*
 * Issue 15: with 300 more privileges /admin/privileges is one page of rows, not a column of
 * 300; the search narrows it on the server, the pager moves on, and the address keeps the
 * filter through a reload. On a phone. The rows are written straight to the database (the
 * list reads only the database) and taken out again, so no other spec sees them.
 */

test.use({ viewport: { width: 390, height: 844 } });

const PREFIX = "E2E List ";
const n3 = (i: number) => String(i).padStart(3, "0");

test.beforeAll(async () => {
  await db.delete(privileges).where(like(privileges.name, `${PREFIX}%`));
  await db.insert(privileges).values(
    Array.from({ length: 300 }, (_, k) => ({
      name: `${PREFIX}${n3(k + 1)}`,
      groupDn: `CN=e2e-list-${n3(k + 1)},${PRIVILEGE_OU}`,
      groupGuid: randomUUID(),
      maxDurationMinutes: 60,
      defaultDurationMinutes: 15,
      enabled: (k + 1) % 10 !== 0,
    })),
  );
});

test.afterAll(async () => {
  await db.delete(privileges).where(like(privileges.name, `${PREFIX}%`));
  await closeDb();
});

test("the privileges list pages, searches on the server and keeps its filter in the address", async ({ page }) => {
  await signInViaApi(page, "carol");

  // The first page is in the server's HTML: content on first paint, not "Loading…".
  const html = await (await page.request.get("/admin/privileges?q=E2E+List")).text();
  expect(html).toContain(`${PREFIX}001`);
  expect(html).not.toContain(`${PREFIX}021`);

  await page.goto("/admin/privileges");
  const table = page.getByRole("region", { name: "Published privileges" });
  const listRows = table.getByRole("row", { name: /^E2E List \d{3}$/ });
  await expect(table.getByText(/^1–20 of \d+ privileges$/)).toBeVisible();
  expect(await table.getByRole("row").count()).toBeLessThanOrEqual(21); // 20 and the header

  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  expect(height).toBeLessThan(6000);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

  // Search narrows on the server: 120–129. Typed once the page is live (buttons are enabled after hydration).
  await expect(table.getByRole("button", { name: "Edit" }).first()).toBeEnabled();
  await page.getByRole("searchbox", { name: "Search privileges" }).fill("e2e list 12");
  await expect(table.getByText("1–10 of 10 privileges")).toBeVisible();
  await expect(listRows).toHaveCount(10);
  await expect(page).toHaveURL(/[?&]q=e2e\+list\+12(&|$)/);

  // A filter chip: the disabled ones among them (only 120).
  await table.getByRole("button", { name: "Disabled" }).click();
  await expect(listRows).toHaveCount(1);
  await expect(table.getByRole("row", { name: `${PREFIX}120` })).toBeVisible();
  await expect(page).toHaveURL(/status=disabled/);

  // Reload: the address brings back the search and the filter.
  await page.reload();
  await expect(page.getByRole("searchbox", { name: "Search privileges" })).toHaveValue("e2e list 12");
  await expect(table.getByRole("button", { name: "Disabled" })).toHaveAttribute("aria-pressed", "true");
  await expect(listRows).toHaveCount(1);

  // The next page follows the first.
  await table.getByRole("button", { name: "All" }).first().click();
  await page.getByRole("searchbox", { name: "Search privileges" }).fill("E2E List");
  await expect(table.getByText("1–20 of 300 privileges")).toBeVisible();
  await expect(table.getByRole("row", { name: `${PREFIX}020` })).toBeVisible();
  await table.getByRole("button", { name: "Next page" }).click();
  await expect(table.getByText("21–40 of 300 privileges")).toBeVisible();
  await expect(table.getByRole("row", { name: `${PREFIX}021` })).toBeVisible();
  await expect(table.getByRole("row", { name: `${PREFIX}020` })).toHaveCount(0);
  await expect(page).toHaveURL(/[?&]page=2(&|$)/);
  await page.reload();
  await expect(table.getByRole("row", { name: `${PREFIX}040` })).toBeVisible();
});
