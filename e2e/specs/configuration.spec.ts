import { readFile } from "node:fs/promises";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { parseDocument } from "yaml";
import { signInViaApi } from "../fixtures/auth";

/*
 * Issue 16, configuration as code, in the browser: an admin downloads the configuration as a file,
 * pastes an edited copy, reads the preview (the one changed field, before → after), applies it
 * after confirming, and gets clear errors for a bad document. The demo configuration is put back
 * the same way at the end.
 */

async function expectAxeClean(page: Page) {
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function previewAndApply(page: Page, yaml: string, summary: string) {
  await page.getByLabel("or paste it").fill(yaml);
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByRole("heading", { name: `Changes: ${summary}` })).toBeVisible();
  await page.getByRole("button", { name: /^Apply \d+ changes?…$/ }).click();
  await page.getByRole("button", { name: /^Yes, apply/ }).click();
  await expect(page.getByRole("status").filter({ hasText: `Applied: ${summary}` })).toBeVisible();
}

test("an admin downloads the configuration, previews an edited copy field by field, and applies it", async ({ page }) => {
  await signInViaApi(page, "carol");
  // Server prefetch: the first HTML already carries the document's summary, not "Loading…".
  const html = await (await page.request.get("/admin/configuration")).text();
  expect(html).toContain("lines · state");
  expect(html).toContain("Show the document");

  await page.goto("/admin/configuration");
  await expect(page.getByRole("heading", { level: 1, name: "Configuration as code" })).toBeVisible();
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download YAML" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^interim-configuration-\d{4}-\d{2}-\d{2}\.yaml$/);
  const original = await readFile((await download.path())!, "utf8");
  expect(original).toMatch(/^# Interim configuration \(version 1\)/);
  expect(original).toContain("Demo operators");

  const doc = parseDocument(original);
  const before = String(doc.getIn(["privileges", 0, "description"]));
  doc.setIn(["privileges", 0, "description"], "Edited from the configuration page");
  await page.getByLabel("or paste it").fill(doc.toString());
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByRole("heading", { name: "Changes: 0 added, 1 changed, 0 removed" })).toBeVisible();
  const change = page.getByRole("listitem").filter({ hasText: "Privilege" }).filter({ hasText: "description" });
  await expect(change).toContainText("Edited from the configuration page");
  if (before) await expect(change).toContainText(before);
  await expectAxeClean(page);
  await page.getByRole("button", { name: "Apply 1 change…" }).click();
  await page.getByRole("button", { name: "Yes, apply 1 change" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Applied: 0 added, 1 changed, 0 removed" })).toBeVisible();
  // The export below shows the applied state.
  await expect(page.getByText(/\d+ lines · state/)).toBeVisible();

  // A bad document: every problem by its path, nothing applied.
  const bad = parseDocument(original);
  bad.setIn(["privileges", 0, "maxDurationMinutes"], 0);
  bad.setIn(["accessGroups", 0, "timeZone"], "Mars/Olympus");
  await page.getByLabel("or paste it").fill(bad.toString());
  await page.getByRole("button", { name: "Preview changes" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "nothing was changed" });
  await expect(alert).toContainText("nothing was changed");
  await expect(alert).toContainText("privileges[0].maxDurationMinutes: At least 1 minute");
  await expect(alert).toContainText("accessGroups[0].timeZone");
  await expect(page.getByRole("button", { name: /^Apply/ })).toHaveCount(0);

  // Put the demo configuration back, through the same page.
  await previewAndApply(page, original, "0 added, 1 changed, 0 removed");
});

test("the configuration page is usable on a phone", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInViaApi(page, "carol");
  await page.goto("/admin/configuration");
  await expect(page.getByRole("link", { name: "Download YAML" })).toBeVisible();
  const current = await (await page.request.get("/admin/configuration/download")).text();
  await page.getByLabel("or paste it").fill(current);
  await page.getByRole("button", { name: "Preview changes" }).click();
  await expect(page.getByRole("heading", { name: "Changes: 0 added, 0 changed, 0 removed" })).toBeVisible();
  await expect(page.getByText("nothing would change")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAxeClean(page);
});
