import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInViaApi } from "../fixtures/auth";
import { seedDashboardHistory } from "../fixtures/dashboard";
import { adminLdap, ensureGroup } from "../fixtures/directory";
import { closeSeed, publishGroup } from "../fixtures/seed";

/*
 * Issue 16, the dashboard at a glance: /admin paints its counts, charts and their tables from the
 * server (first paint), the charts draw, each table says what its chart shows, the range toggle
 * switches to 7 days, and the page is axe-clean and usable on a phone.
 */

const GROUP = "E2E Dashboard";
const PRIVILEGE = "E2E dashboard privilege";
let removedAt: Date;

test.beforeAll(async () => {
  const ldap = await adminLdap();
  try {
    await ensureGroup(ldap, GROUP, "e2e dashboard");
  } finally {
    await ldap.unbind();
  }
  const privilege = await publishGroup(GROUP, { name: PRIVILEGE, tags: [], maxDurationMinutes: 60 });
  ({ removedAt } = await seedDashboardHistory(privilege.id, privilege.groupGuid, privilege.groupDn));
  await closeSeed();
});

const figure = (page: Page, name: string) => page.getByRole("figure", { name });

async function openTable(page: Page, name: string) {
  const f = figure(page, name);
  await f.getByText("Show as table").click();
  return f.getByRole("table");
}

async function expectAxeClean(page: Page) {
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

test("the overview shows the dashboard's charts with their tables, from the first paint, axe-clean", async ({ page }) => {
  await signInViaApi(page, "carol");

  // First paint: the server's HTML already holds the numbers (the tables), not "Loading…".
  const html = await (await page.request.get("/admin")).text();
  expect(html).toContain("Most requested privileges");
  expect(html).toContain(PRIVILEGE);
  expect(html).not.toContain("Loading the dashboard");

  await page.goto("/admin");
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  const glance = page.getByRole("list", { name: "At a glance" });
  await expect(glance.getByRole("link", { name: /Open drift findings/ })).toHaveAttribute("href", "/admin/drift");
  await expect(glance.getByRole("link", { name: /Emergencies to review/ })).toBeVisible();

  for (const name of ["Active grants", "Grant latency", "Expiry lag", "Requests per day by outcome", "Most requested privileges"]) {
    // Every chart draws (recharts, loaded after the page) inside its figure.
    await expect(figure(page, name).locator("svg.recharts-surface").first()).toBeVisible();
  }

  const top = await openTable(page, "Most requested privileges");
  // 12 denied, 8 cancelled, 10 expired and the 2 approved requests of the two grants.
  await expect(top.getByRole("row", { name: new RegExp(PRIVILEGE) })).toContainText(/32\s*2/);

  const hour = `${String(removedAt.getUTCHours()).padStart(2, "0")}:00`;
  const lag = await openTable(page, "Expiry lag");
  // Two grants removed in that hour, 5 s and 65 s late: median 35 s, p95 62 s.
  await expect(lag.getByRole("row", { name: new RegExp(`^${hour}`) })).toHaveText(/2\s*35 s\s*1 min 2 s/);

  const outcomes = await openTable(page, "Requests per day by outcome");
  await expect(outcomes.getByRole("columnheader", { name: "Denied" })).toBeVisible();
  await openTable(page, "Active grants");
  await openTable(page, "Grant latency");
  await expectAxeClean(page);

  // Seven days, by six hours: the toggle says which range is on, and the tables follow.
  await page.getByRole("button", { name: "Last 7 days" }).click();
  await expect(page.getByRole("button", { name: "Last 7 days" })).toHaveAttribute("aria-pressed", "true");
  await expect(figure(page, "Active grants").getByRole("columnheader", { name: "6 hours from (UTC)" })).toBeAttached();
  await expect(figure(page, "Active grants")).toContainText("the last 7 days");
});

test("the dashboard fits a phone", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await signInViaApi(page, "carol");
  await page.goto("/admin");
  await expect(figure(page, "Active grants").locator("svg.recharts-surface").first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAxeClean(page);
});
